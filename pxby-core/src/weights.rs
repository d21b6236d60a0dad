//! The typed tensor table of a loaded model: one zero-copy [`Tensor`] view per [`Slot`].
//!
//! [`Weights::from_payload`] cuts a model file's weight payload into the tensors of
//! [`ModelConfig::tensors`] (in that order, each stored as its [`WeightType`]) and files each
//! view under its slot; the forward pass ([`crate::model`]) then reads them by slot. Nothing
//! here knows the file's framing (magic, header, CRC: [`crate::format`]) or the maths.
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

use crate::config::{Direction, LstmPart, MAX_DEPTH, ModelConfig, Slot};
use crate::error::Error;
use crate::quant::{Tensor, WeightType};

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
/// empty ([`Tensor::EMPTY`]). Built only by [`Weights::from_payload`], so every view has the
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
    const EMPTY: Weights<'static> = Weights {
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

    /// Views of every tensor of `config` in `payload`, the weight bytes of a model file: the
    /// tensors of [`ModelConfig::tensors`] back to back, tensor `i` stored as `dtypes[i]`.
    /// [`Error::LayoutMismatch`] unless `dtypes` has one type per tensor and `payload` holds
    /// every tensor whole (it may be longer).
    pub fn from_payload(
        config: &ModelConfig,
        dtypes: &[WeightType],
        payload: &'a [u8],
    ) -> Result<Self, Error> {
        if dtypes.len() != config.tensors().count() {
            return Err(Error::LayoutMismatch);
        }
        let mut weights = Weights::EMPTY;
        let mut off = 0usize;
        for (spec, &dtype) in config.tensors().zip(dtypes) {
            let len = usize::try_from(dtype.stored_len(&spec)).map_err(|_| Error::TooLarge)?;
            let bytes = off
                .checked_add(len)
                .and_then(|end| payload.get(off..end))
                .unwrap_or(&[]);
            off = off.saturating_add(len);
            let view = Tensor::from_stored(dtype, spec.rows(), spec.cols(), bytes)
                .unwrap_or(Tensor::EMPTY);
            if view.len() != spec.len() {
                return Err(Error::LayoutMismatch);
            }
            if let Some(t) = weights.get_mut(spec.slot) {
                *t = view;
            }
        }
        Ok(weights)
    }

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

    /// A payload of f32 zeros for `cfg` (every tensor f32).
    fn zeros(cfg: &ModelConfig) -> (std::vec::Vec<WeightType>, std::vec::Vec<u8>) {
        let n: usize = cfg.tensors().map(|t| t.len()).sum();
        (
            cfg.tensors().map(|_| WeightType::F32).collect(),
            std::vec![0; 4 * n],
        )
    }

    #[test]
    fn every_slot_of_the_config_gets_its_view() {
        let cfg = ModelConfig::PAPER_BEST;
        let (dtypes, payload) = zeros(&cfg);
        let w = Weights::from_payload(&cfg, &dtypes, &payload).unwrap();
        for spec in cfg.tensors() {
            let t = w.get(spec.slot);
            assert_eq!(
                (t.rows(), t.cols()),
                (spec.rows(), spec.cols()),
                "{}",
                spec.name
            );
        }
        // Slots this configuration does not have stay empty.
        let absent = Slot::Lstm {
            layer: 1,
            direction: Direction::Reverse,
            part: LstmPart::WeightIh,
        };
        assert!(w.get(absent).is_empty());
        assert!(
            w.lstm(MAX_DEPTH, Direction::Forward)
                .get(LstmPart::BiasHh)
                .is_empty()
        );
    }

    #[test]
    fn short_payload_or_wrong_table_is_a_layout_mismatch() {
        let cfg = ModelConfig {
            dim: 18,
            d_state: 8,
            ..ModelConfig::PAPER_BEST
        };
        let (dtypes, payload) = zeros(&cfg);
        let short = &payload[..payload.len() - 4];
        assert_eq!(
            Weights::from_payload(&cfg, &dtypes, short),
            Err(Error::LayoutMismatch)
        );
        assert_eq!(
            Weights::from_payload(&cfg, &dtypes[1..], &payload),
            Err(Error::LayoutMismatch)
        );
    }
}
