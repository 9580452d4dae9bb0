//! Images to work with: the standard test images, image files, and noise.

mod images;
mod noise;
mod standard;

pub use images::{curie, data_dir, einstein, load_image};
pub use noise::{pink_noise, white_noise};
pub use standard::{color_wheel, load_images, parrot, reptile_skin};
