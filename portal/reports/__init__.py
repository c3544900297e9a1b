"""The consultation report: an answer to every comment, the public report and its exports, the final document."""
