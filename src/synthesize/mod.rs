//! Synthesis methods: metamers and eigendistortions.
