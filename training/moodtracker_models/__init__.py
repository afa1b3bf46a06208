"""The project's reference PyTorch modules: the definitions the Rust inference service loads."""
