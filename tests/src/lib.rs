//! Test support: a mock Llama 3 server and a harness that starts Warden on port 0.
