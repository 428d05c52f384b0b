"""Graph sources behind the GraphSource port: the Graph Service over HTTP, memory."""
