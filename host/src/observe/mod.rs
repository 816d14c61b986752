//! What the host tells its operator about the work it does. Every request
//! that reaches a plugin, and every load, reload, refusal and lock change,
//! passes through one [`Observer`], which hands it to each [`Sink`] the
//! operator switched on: the audit log, the metrics, the traces.
//!
//! With no sink, observing costs a branch per request: nothing is hashed,
//! copied or timed.

pub mod audit;
mod call;
mod event;
pub mod trace;

use std::sync::Arc;

pub use call::{Call, Caller, InFlight, Method, Outcome};
pub use event::Event;

/// Where observations go: the audit log, the metrics, the traces. Each
/// method has a default that ignores the observation.
pub trait Sink: Send + Sync {
    /// Whether this sink wants to know who made each request and a SHA-256
    /// of its arguments (the audit log does; the metrics do not, and with
    /// no sink wanting them neither is worked out).
    fn wants_details(&self) -> bool {
        false
    }

    /// Whether this sink wants a request's argument values (kept only
    /// while the request runs). The audit log wants them only when the
    /// operator asks for them.
    fn wants_arguments(&self) -> bool {
        false
    }

    /// A request that reached a plugin has ended, with `outcome`.
    fn call(&self, call: &Call, outcome: &Outcome) {
        let _ = (call, outcome);
    }

    /// Something happened to the set of plugins.
    fn event(&self, event: &Event<'_>) {
        let _ = event;
    }
}

/// Hands every observation to the sinks in force. Cheap to clone.
#[derive(Clone, Default)]
pub struct Observer {
    sinks: Arc<[Arc<dyn Sink>]>,
    wants: Wants,
}

/// What of a request some sink wants beyond its method, plugin, target,
/// outcome and duration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wants {
    /// Who made it, and a SHA-256 of its arguments.
    pub details: bool,
    /// Its argument values.
    pub values: bool,
}

impl Observer {
    /// An observer handing each observation to every one of `sinks`.
    pub fn new(sinks: Vec<Arc<dyn Sink>>) -> Self {
        let wants = Wants {
            details: sinks.iter().any(|sink| sink.wants_details()),
            values: sinks.iter().any(|sink| sink.wants_arguments()),
        };
        Self {
            sinks: sinks.into(),
            wants,
        }
    }

    /// What of each request the sinks want (see [`Wants`]).
    pub fn wants(&self) -> Wants {
        self.wants
    }

    /// Whether any sink is in force.
    pub fn is_on(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// Starts observing a request about to run in a plugin; `None` when no
    /// sink is in force. The request is reported when [`InFlight::end`] is
    /// called, or as cancelled if the request is dropped first.
    pub fn begin(&self, call: impl FnOnce(Wants) -> Call) -> Option<InFlight> {
        self.is_on()
            .then(|| InFlight::new(self.clone(), call(self.wants)))
    }

    /// Reports `event` to every sink.
    pub fn event(&self, event: &Event<'_>) {
        for sink in self.sinks.iter() {
            sink.event(event);
        }
    }

    fn ended(&self, call: &Call, outcome: &Outcome) {
        for sink in self.sinks.iter() {
            sink.call(call, outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Keeps what it is told.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Sink for Recorder {
        fn call(&self, call: &Call, outcome: &Outcome) {
            let line = format!(
                "{} {} {}",
                call.method.as_str(),
                call.target,
                outcome.as_str()
            );
            self.0.lock().unwrap().push(line);
        }
    }

    fn call(wants: Wants) -> Call {
        let plugin = ("math".into(), "sha256:00".into());
        let arguments = serde_json::json!({"x": 1});
        Call::new(
            Method::CallTool,
            plugin,
            "add",
            &arguments,
            wants,
            Caller::default(),
        )
    }

    #[test]
    fn a_request_dropped_before_it_ends_is_reported_cancelled() {
        let recorder = Arc::new(Recorder::default());
        let observer = Observer::new(vec![recorder.clone()]);
        observer.begin(call).unwrap().end(Outcome::Ok);
        drop(observer.begin(call));
        observer.begin(call).unwrap().discard();
        let lines = recorder.0.lock().unwrap().clone();
        assert_eq!(lines, ["tools/call add ok", "tools/call add cancelled"]);
    }

    #[test]
    fn without_sinks_nothing_is_built() {
        let observer = Observer::default();
        assert!(
            observer
                .begin(|_| unreachable!("no call is built"))
                .is_none()
        );
    }

    #[test]
    fn arguments_are_hashed_and_kept_only_when_asked() {
        let kept = call(Wants {
            details: true,
            values: true,
        });
        assert_eq!(kept.arguments, Some(serde_json::json!({"x": 1})));
        // sha256 of `{"x":1}`.
        assert_eq!(
            kept.arguments_digest.as_deref(),
            Some("sha256:5041bf1f713df204784353e82f6a4a535931cb64f1f4b4a5aeaffcb720918b22")
        );
        let bare = call(Wants::default());
        assert_eq!((bare.arguments, bare.arguments_digest), (None, None));
    }
}
