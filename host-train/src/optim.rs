//! AdamW written with tch tensor operations, so that its whole state (step count and the two
//! moment tensors of every variable) is plain tensors a checkpoint can save and restore exactly.
//! Why hand-written: tch's own optimiser wraps a C++ object whose state cannot be saved, so a
//! killed run could not resume exactly.
//!
//! The update is PyTorch's `torch.optim.AdamW` (decoupled weight decay, bias correction):
//! `p ← p·(1 − lr·wd)`, `m ← β1·m + (1 − β1)·g`, `v ← β2·v + (1 − β2)·g²`,
//! `p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)`.

use std::collections::BTreeMap;

use tch::Tensor;

/// AdamW hyper-parameters (defaults: PyTorch's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate.
    pub lr: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// AdamW over a named set of variables.
#[derive(Debug)]
pub struct AdamW {
    /// Hyper-parameters.
    pub config: AdamWConfig,
    /// Steps taken.
    pub step: i64,
    vars: BTreeMap<String, Tensor>,
    m: BTreeMap<String, Tensor>,
    v: BTreeMap<String, Tensor>,
}

impl AdamW {
    /// Optimiser for `vars` (shallow clones of the model's variables), moments at zero.
    pub fn new(vars: BTreeMap<String, Tensor>, config: AdamWConfig) -> Self {
        let m = vars
            .iter()
            .map(|(k, t)| (k.clone(), t.zeros_like().detach()))
            .collect();
        let v = vars
            .iter()
            .map(|(k, t)| (k.clone(), t.zeros_like().detach()))
            .collect();
        AdamW {
            config,
            step: 0,
            vars,
            m,
            v,
        }
    }

    /// Clears the gradients of every variable.
    pub fn zero_grad(&mut self) {
        for t in self.vars.values_mut() {
            t.zero_grad();
        }
    }

    /// One update from the current gradients.
    pub fn step(&mut self) {
        let _guard = tch::no_grad_guard();
        self.step += 1;
        let c = self.config;
        let bc1 = 1.0 - c.beta1.powi(self.step as i32);
        let bc2_sqrt = (1.0 - c.beta2.powi(self.step as i32)).sqrt();
        let step_size = c.lr / bc1;
        for (name, p) in &mut self.vars {
            let g = p.grad();
            if !g.defined() {
                continue;
            }
            let (Some(m), Some(v)) = (self.m.get_mut(name), self.v.get_mut(name)) else {
                continue;
            };
            let _ = p.g_mul_scalar_(1.0 - c.lr * c.weight_decay);
            let _ = m.g_mul_scalar_(c.beta1);
            let _ = m.g_add_(&(&g * (1.0 - c.beta1)));
            let _ = v.g_mul_scalar_(c.beta2);
            let _ = v.g_add_(&(&g * &g * (1.0 - c.beta2)));
            let denom = v.sqrt() / bc2_sqrt + c.eps;
            let _ = p.g_sub_(&(&*m / &denom * step_size));
        }
    }

    /// The moment tensors, named `opt.m.<var>` and `opt.v.<var>`, for a checkpoint.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let m = self
            .m
            .iter()
            .map(|(k, t)| (format!("opt.m.{k}"), t.shallow_clone()));
        let v = self
            .v
            .iter()
            .map(|(k, t)| (format!("opt.v.{k}"), t.shallow_clone()));
        m.chain(v).collect()
    }

    /// Restores the moments saved by [`AdamW::state`]; returns the names that were missing.
    pub fn load_state(&mut self, tensors: &BTreeMap<String, Tensor>, step: i64) -> Vec<String> {
        let _guard = tch::no_grad_guard();
        let mut missing = Vec::new();
        for (prefix, map) in [("opt.m.", &mut self.m), ("opt.v.", &mut self.v)] {
            for (k, t) in map.iter_mut() {
                let key = format!("{prefix}{k}");
                match tensors.get(&key) {
                    Some(src) if src.size() == t.size() => t.copy_(src),
                    _ => missing.push(key),
                }
            }
        }
        self.step = step;
        missing
    }
}
