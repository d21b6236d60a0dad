//! The typed tensor table of a loaded model: one zero-copy [`Tensor`] view per [`Slot`].
//!
//! The file reader ([`crate::format::ModelFile::parse`]) cuts the weight payload into the
//! tensors of [`crate::config::ModelConfig::tensors`] and files each view under its
//! [`TensorSpec::slot`](crate::config::TensorSpec::slot); the forward pass ([`crate::model`])
//! then reads them by slot. Nothing here knows the file's framing (magic, header, CRC) or the
//! maths, and nothing depends on a tensor's storage type.
//!
//! ```
//! use pxby_core::config::{Direction, LstmPart, ModelConfig, Slot};
//! use pxby_core::format::{random_weights, write_model, Metadata, ModelFile};
//! use pxby_core::quant::WeightType;
//! let cfg = ModelConfig::PAPER_BEST;
//! let list = random_weights(&cfg, 1, 1.0);
//! let list: Vec<(&str, &[f32])> = list.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list)?;
//! let weights = ModelFile::parse(&bytes)?.weights;
//! let w_ih = weights.get(Slot::Lstm { layer: 1, direction: Direction::Forward, part: LstmPart::WeightIh });
//! assert_eq!((w_ih.rows(), w_ih.cols(), w_ih.dtype()), (128, 32, WeightType::I8));
//! assert!(weights.get(Slot::Lstm { layer: 2, direction: Direction::Forward, part: LstmPart::BiasIh }).is_empty());
//! # Ok::<(), pxby_core::Error>(())
//! ```

use crate::config::{Direction, LstmPart, MAX_DEPTH, Slot};
use crate::quant::Tensor;

/// The four tensors of one LSTM direction (PyTorch's `weight_ih`, `weight_hh`, `bias_ih`,
/// `bias_hh`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LstmWeights<'a> {
    w_ih: Tensor<'a>,
    w_hh: Tensor<'a>,
    b_ih: Tensor<'a>,
    b_hh: Tensor<'a>,
}

impl<'a> LstmWeights<'a> {
    const EMPTY: LstmWeights<'static> = LstmWeights {
        w_ih: Tensor::EMPTY,
        w_hh: Tensor::EMPTY,
        b_ih: Tensor::EMPTY,
        b_hh: Tensor::EMPTY,
    };

    /// The tensor of one part.
    #[inline]
    pub fn get(&self, part: LstmPart) -> &Tensor<'a> {
        match part {
            LstmPart::WeightIh => &self.w_ih,
            LstmPart::WeightHh => &self.w_hh,
            LstmPart::BiasIh => &self.b_ih,
            LstmPart::BiasHh => &self.b_hh,
        }
    }

    fn get_mut(&mut self, part: LstmPart) -> &mut Tensor<'a> {
        match part {
            LstmPart::WeightIh => &mut self.w_ih,
            LstmPart::WeightHh => &mut self.w_hh,
            LstmPart::BiasIh => &mut self.b_ih,
            LstmPart::BiasHh => &mut self.b_hh,
        }
    }
}

/// Views of every tensor a model has, by [`Slot`]; slots the configuration does not have are
/// empty ([`Tensor::EMPTY`]). Filled only by the file reader, so every view has the
/// shape its configuration gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights<'a> {
    alpha: Tensor<'a>,
    embedding: Tensor<'a>,
    conv_w: Tensor<'a>,
    conv_b: Tensor<'a>,
    proj_w: Tensor<'a>,
    proj_b: Tensor<'a>,
    norm_w: Tensor<'a>,
    norm_b: Tensor<'a>,
    lstm: [LstmWeights<'a>; MAX_DEPTH],
    reverse: LstmWeights<'a>,
    head_w: Tensor<'a>,
    head_b: Tensor<'a>,
}

impl<'a> Weights<'a> {
    /// The table with every slot empty (the reader fills it with [`Weights::set`]).
    pub(crate) const EMPTY: Weights<'static> = Weights {
        alpha: Tensor::EMPTY,
        embedding: Tensor::EMPTY,
        conv_w: Tensor::EMPTY,
        conv_b: Tensor::EMPTY,
        proj_w: Tensor::EMPTY,
        proj_b: Tensor::EMPTY,
        norm_w: Tensor::EMPTY,
        norm_b: Tensor::EMPTY,
        lstm: [LstmWeights::EMPTY; MAX_DEPTH],
        reverse: LstmWeights::EMPTY,
        head_w: Tensor::EMPTY,
        head_b: Tensor::EMPTY,
    };

    /// The tensor in `slot` (empty if the configuration has none there).
    #[inline]
    pub fn get(&self, slot: Slot) -> &Tensor<'a> {
        match slot {
            Slot::Alpha => &self.alpha,
            Slot::Embedding => &self.embedding,
            Slot::ConvWeight => &self.conv_w,
            Slot::ConvBias => &self.conv_b,
            Slot::ProjWeight => &self.proj_w,
            Slot::ProjBias => &self.proj_b,
            Slot::NormWeight => &self.norm_w,
            Slot::NormBias => &self.norm_b,
            Slot::Lstm {
                layer,
                direction,
                part,
            } => self.lstm(layer as usize, direction).get(part),
            Slot::HeadWeight => &self.head_w,
            Slot::HeadBias => &self.head_b,
        }
    }

    /// One direction of LSTM layer `layer` (empty if the configuration has none there).
    #[inline]
    pub fn lstm(&self, layer: usize, direction: Direction) -> &LstmWeights<'a> {
        match direction {
            Direction::Forward => self.lstm.get(layer).unwrap_or(&LstmWeights::EMPTY),
            Direction::Reverse if layer == 0 => &self.reverse,
            Direction::Reverse => &LstmWeights::EMPTY,
        }
    }

    /// Files `view` under `slot` (a slot no configuration has, such as a reverse direction of
    /// layer 1, is ignored).
    pub(crate) fn set(&mut self, slot: Slot, view: Tensor<'a>) {
        if let Some(t) = self.get_mut(slot) {
            *t = view;
        }
    }

    fn get_mut(&mut self, slot: Slot) -> Option<&mut Tensor<'a>> {
        Some(match slot {
            Slot::Alpha => &mut self.alpha,
            Slot::Embedding => &mut self.embedding,
            Slot::ConvWeight => &mut self.conv_w,
            Slot::ConvBias => &mut self.conv_b,
            Slot::ProjWeight => &mut self.proj_w,
            Slot::ProjBias => &mut self.proj_b,
            Slot::NormWeight => &mut self.norm_w,
            Slot::NormBias => &mut self.norm_b,
            Slot::Lstm {
                layer,
                direction: Direction::Forward,
                part,
            } => self.lstm.get_mut(layer as usize)?.get_mut(part),
            Slot::Lstm {
                layer: 0,
                direction: Direction::Reverse,
                part,
            } => self.reverse.get_mut(part),
            Slot::Lstm { .. } => return None,
            Slot::HeadWeight => &mut self.head_w,
            Slot::HeadBias => &mut self.head_b,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelConfig;
    use crate::quant::WeightType;

    /// The table of `cfg` with every tensor an f32 view of zeros.
    fn zeros<'a>(cfg: &ModelConfig, bytes: &'a [u8]) -> Weights<'a> {
        let mut w = Weights::EMPTY;
        for spec in cfg.tensors() {
            let data = &bytes[..4 * spec.len()];
            let view = Tensor::new(WeightType::F32, spec.rows(), spec.cols(), data, &[]).unwrap();
            w.set(spec.slot, view);
        }
        w
    }

    #[test]
    fn every_slot_of_the_config_gets_its_view() {
        let cfg = ModelConfig::PAPER_BEST;
        let bytes = std::vec![0u8; 4 * 113 * 81];
        let w = zeros(&cfg, &bytes);
        for spec in cfg.tensors() {
            let t = w.get(spec.slot);
            assert_eq!(
                (t.rows(), t.cols()),
                (spec.rows(), spec.cols()),
                "{}",
                spec.name
            );
        }
        // Slots this configuration does not have stay empty, and cannot be filled.
        let absent = Slot::Lstm {
            layer: 1,
            direction: Direction::Reverse,
            part: LstmPart::WeightIh,
        };
        let mut w2 = w;
        w2.set(absent, *w.get(Slot::HeadWeight));
        assert!(w2.get(absent).is_empty());
        assert_eq!(w2, w);
        assert!(
            w.get(Slot::Lstm {
                layer: 2,
                direction: Direction::Forward,
                part: LstmPart::BiasIh
            })
            .is_empty()
        );
        assert!(
            w.lstm(MAX_DEPTH, Direction::Forward)
                .get(LstmPart::BiasHh)
                .is_empty()
        );
    }
}
