//! Arithmetic on two numbers: four pure tools (read-only, idempotent, closed-world).

use moat_plugin_sdk::Tool;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
struct Operands {
    x: f64,
    y: f64,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    result: f64,
}

fn arithmetic(name: &str, title: &str, description: &str, op: fn(f64, f64) -> f64) -> Tool {
    Tool::new(name, description, move |Operands { x, y }| match op(x, y) {
        result if result.is_finite() => Ok(Answer { result }),
        _ if y == 0.0 => Err("division by zero"),
        _ => Err("the result is out of range"),
    })
    .title(title)
    .read_only(true)
    .idempotent(true)
    .open_world(false)
}

fn tools() -> Vec<Tool> {
    vec![
        arithmetic("add", "Add", "Add two numbers", |x, y| x + y),
        arithmetic("sub", "Subtract", "Subtract y from x", |x, y| x - y),
        arithmetic("mul", "Multiply", "Multiply two numbers", |x, y| x * y),
        arithmetic("div", "Divide", "Divide x by y", |x, y| x / y),
    ]
}

moat_plugin_sdk::export!(tools);
