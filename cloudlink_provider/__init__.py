"""Infrastructure as code for Mitel CloudLink."""
