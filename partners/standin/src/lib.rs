//! What the partner stand-ins share (and no production binary links): stopping when asked
//! ([`stop_requested`]), and fault knobs changed by a JSON patch ([`patch_knobs`]) at their
//! `POST /_control`.

/// Completes on SIGTERM or SIGINT: when a stand-in is asked to stop.
pub async fn stop_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Applies `patch` (a JSON object of knob names and values) to `knobs`: every named knob must
/// exist and take the value's type, or nothing changes and the error says which.
pub fn patch_knobs<K>(knobs: &mut K, patch: &serde_json::Value) -> Result<(), String>
where
    K: serde::Serialize + serde::de::DeserializeOwned,
{
    let serde_json::Value::Object(changes) = patch else { return Err("the knobs must be a JSON object".into()) };
    let mut current = serde_json::to_value(&*knobs).map_err(|e| e.to_string())?;
    let fields = current.as_object_mut().ok_or("the knobs are not an object")?;
    for (name, value) in changes {
        let Some(field) = fields.get_mut(name) else { return Err(format!("no knob `{name}`")) };
        *field = value.clone();
    }
    *knobs = serde_json::from_value(current).map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::patch_knobs;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Knobs {
        down: bool,
        latency_ms: u64,
    }

    #[test]
    fn named_knobs_change_and_unknown_or_mistyped_ones_change_nothing() {
        let mut k = Knobs::default();
        patch_knobs(&mut k, &json!({"down": true})).unwrap();
        assert_eq!(k, Knobs { down: true, latency_ms: 0 });
        assert!(patch_knobs(&mut k, &json!({"latency_ms": 5, "nope": 1})).unwrap_err().contains("nope"));
        assert!(patch_knobs(&mut k, &json!({"latency_ms": "slow"})).is_err());
        assert_eq!(k, Knobs { down: true, latency_ms: 0 });
    }
}
