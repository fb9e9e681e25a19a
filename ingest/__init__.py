"""Loading, chunking, embedding and storing documents."""
