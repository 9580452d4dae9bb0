//! Images to work with: the standard test images, image files, and noise.

mod images;
mod noise;

pub use images::{curie, data_dir, einstein, load_image};
pub use noise::{pink_noise, white_noise};
