"""What is shown of the work: output formats (and their registry), results streamed as
files are done, figures and where they go, tables and progress bars."""
