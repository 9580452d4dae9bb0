//! Per-channel parameters given as one value or one per channel.

/// One value for every channel, or one value per channel: `3.0`, `[2.0, 5.0]` or
/// `vec![...]` all convert into it.
#[derive(Debug, Clone, PartialEq)]
pub struct PerChannel(pub Vec<f64>);

impl From<f64> for PerChannel {
    fn from(v: f64) -> Self {
        PerChannel(vec![v])
    }
}
impl From<Vec<f64>> for PerChannel {
    fn from(v: Vec<f64>) -> Self {
        PerChannel(v)
    }
}
impl From<&[f64]> for PerChannel {
    fn from(v: &[f64]) -> Self {
        PerChannel(v.to_vec())
    }
}
impl<const N: usize> From<[f64; N]> for PerChannel {
    fn from(v: [f64; N]) -> Self {
        PerChannel(v.to_vec())
    }
}

impl PerChannel {
    /// The values for `n` channels: a single value is repeated; otherwise the count must be
    /// `n`. `None` when the count does not fit.
    pub fn expand(&self, n: usize) -> Option<Vec<f64>> {
        match self.0.len() {
            1 => Some(vec![self.0[0]; n]),
            k if k == n => Some(self.0.clone()),
            _ => None,
        }
    }
}

/// Resolves the number of output channels from an explicit count or the parameter lists,
/// as plenoptic's `_validate_filter_args`.
pub(crate) fn channels(
    explicit: Option<usize>,
    params: &[(&'static str, &PerChannel)],
) -> crate::Result<usize> {
    let n = match explicit {
        Some(0) => {
            return Err(crate::Error::invalid(
                "out_channels",
                "must be a positive integer",
            ))
        }
        Some(n) => n,
        None => params.iter().map(|(_, p)| p.0.len()).max().unwrap_or(1),
    };
    for (name, p) in params {
        if p.expand(n).is_none() {
            return Err(crate::Error::invalid(
                name,
                format!("has {} values but there are {n} output channels", p.0.len()),
            ));
        }
    }
    Ok(n)
}
