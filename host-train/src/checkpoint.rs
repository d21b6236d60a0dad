//! Checkpoint and model files of a run: safetensors files (f32 tensors) whose header metadata
//! carries the model specification and the training state as JSON. One file per checkpoint,
//! written atomically (temporary file + rename), so a killed run leaves the previous one intact.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};
use crate::model::ModelSpec;
use crate::run::{TrainState, write_atomic};

const FORMAT_KEY: &str = "format";
const FORMAT: &str = "host-train/1";
const MODEL_KEY: &str = "model";
const STATE_KEY: &str = "state";

/// The content of a checkpoint or best-model file.
#[derive(Debug)]
pub struct Checkpoint {
    /// The model the tensors belong to.
    pub model: ModelSpec,
    /// Training state when the file was written.
    pub state: TrainState,
    /// All tensors by name (model variables by their canonical names, `opt.m.*` / `opt.v.*`
    /// AdamW moments in checkpoints), on the CPU.
    pub tensors: BTreeMap<String, Tensor>,
}

fn tensor_bytes(t: &Tensor) -> Result<(Vec<usize>, Vec<u8>)> {
    let t = t
        .detach()
        .to_device(Device::Cpu)
        .to_kind(Kind::Float)
        .contiguous();
    let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
    let flat = Vec::<f32>::try_from(t.flatten(0, -1))
        .map_err(|e| Error::torch("reading a tensor for the checkpoint", e))?;
    let bytes = flat.iter().flat_map(|x| x.to_le_bytes()).collect();
    Ok((shape, bytes))
}

/// Writes `tensors` with the model and state to `path` atomically.
pub fn save(
    path: &Path,
    model: &ModelSpec,
    state: &TrainState,
    tensors: &[(String, Tensor)],
) -> Result<()> {
    let mut raw = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        let (shape, bytes) = tensor_bytes(t)?;
        raw.push((name.clone(), shape, bytes));
    }
    let mut views = Vec::with_capacity(raw.len());
    for (name, shape, bytes) in &raw {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes)
            .map_err(|e| Error::Format(format!("tensor {name}: {e:?}")))?;
        views.push((name.as_str(), view));
    }
    let json = |v: Result<String, serde_json::Error>| {
        v.map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })
    };
    let meta = HashMap::from([
        (FORMAT_KEY.to_string(), FORMAT.to_string()),
        (MODEL_KEY.to_string(), json(serde_json::to_string(model))?),
        (STATE_KEY.to_string(), json(serde_json::to_string(state))?),
    ]);
    let bytes = safetensors::tensor::serialize(views, &Some(meta))
        .map_err(|e| Error::Format(format!("serialising {}: {e:?}", path.display())))?;
    write_atomic(path, &bytes)
}

/// Reads a file written by [`save`]. A missing, truncated or foreign file gives
/// [`Error::BadCheckpoint`] saying so.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bad = |reason: String| Error::BadCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| {
        bad(format!(
            "not a readable checkpoint ({} bytes; truncated or damaged?): {e:?}",
            bytes.len()
        ))
    })?;
    let (_, header) =
        SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("unreadable header: {e:?}")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get(FORMAT_KEY).map(String::as_str) != Some(FORMAT) {
        return Err(bad(format!(
            "not a host-train checkpoint (no \"{FORMAT_KEY}\": \"{FORMAT}\")"
        )));
    }
    let field = |key: &str| {
        meta.get(key)
            .ok_or_else(|| bad(format!("metadata lacks \"{key}\"")))
    };
    let model: ModelSpec = serde_json::from_str(field(MODEL_KEY)?)
        .map_err(|e| bad(format!("bad model description: {e}")))?;
    let state: TrainState = serde_json::from_str(field(STATE_KEY)?)
        .map_err(|e| bad(format!("bad training state: {e}")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(bad(format!(
                "tensor {name} is {:?}, expected F32",
                view.dtype()
            )));
        }
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let t = Tensor::from_slice(&data).reshape(&shape);
        tensors.insert(name, t);
    }
    Ok(Checkpoint {
        model,
        state,
        tensors,
    })
}

/// Copies the checkpoint's model variables into `vars` (the model's variables by canonical
/// name). Every variable must be present with the right shape.
pub fn restore_vars(
    path: &Path,
    ckpt: &Checkpoint,
    vars: &mut BTreeMap<String, Tensor>,
) -> Result<()> {
    let _guard = tch::no_grad_guard();
    for (name, var) in vars.iter_mut() {
        let src = ckpt.tensors.get(name).ok_or_else(|| Error::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!("tensor {name} is missing"),
        })?;
        if src.size() != var.size() {
            return Err(Error::BadCheckpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "tensor {name} has shape {:?}, expected {:?}",
                    src.size(),
                    var.size()
                ),
            });
        }
        var.copy_(&src.to_device(var.device()));
    }
    Ok(())
}
