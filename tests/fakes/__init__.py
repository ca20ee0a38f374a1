"""Local stand-ins for outside services: real servers on 127.0.0.1 speaking the real protocol, started by fixtures."""
