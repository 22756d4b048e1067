"""The numpy network and its training: activations, layers (and their registry), the
network, optimisers, data and model files, the training loop, checkpoints, metrics,
augmentation and the course's autoencoder."""
