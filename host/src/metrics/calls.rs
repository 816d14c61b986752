//! Requests that reach a plugin, as the [`Observer`](crate::observe::Observer)
//! reports them: tool calls by plugin, tool and outcome, their durations,
//! the limits hit, and what happened to the set of plugins.
//!
//! A tool's handles (its counters and histogram) are made at its first
//! call and kept in a map behind an [`ArcSwap`]: every later call reads the
//! map without a lock and adds to atomics. Only tools the registry routed a
//! call to get handles (an unknown tool is refused before it reaches a
//! plugin), and a removed plugin's series are dropped with it.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
};

use super::BUCKETS;
use crate::observe::{Call, Event, Method, Outcome, Sink};

/// The outcomes, in the order of [`outcome_index`].
const OUTCOMES: [&str; 5] = ["ok", "tool_error", "input_required", "failed", "cancelled"];

/// The methods that reach a plugin, in the order of [`method_index`].
const METHODS: [Method; 4] = [
    Method::CallTool,
    Method::ReadResource,
    Method::GetPrompt,
    Method::Complete,
];

fn outcome_index(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Ok => 0,
        Outcome::ToolError => 1,
        Outcome::InputRequired => 2,
        Outcome::Failed { .. } => 3,
        Outcome::Cancelled => 4,
    }
}

fn method_index(method: Method) -> usize {
    match method {
        Method::CallTool => 0,
        Method::ReadResource => 1,
        Method::GetPrompt => 2,
        Method::Complete => 3,
    }
}

/// One tool's handles.
struct Tool {
    calls: [IntCounter; 5],
    duration: Histogram,
}

/// One plugin's handles: its requests by method and outcome, and its tools.
#[derive(Clone)]
struct Plugin {
    requests: Arc<[[IntCounter; 5]; 4]>,
    tools: HashMap<Box<str>, Arc<Tool>>,
}

/// The families, and the handles made so far.
pub struct Calls {
    tool_calls: IntCounterVec,
    tool_duration: HistogramVec,
    plugin_requests: IntCounterVec,
    limits: IntCounterVec,
    events: [IntCounter; 5],
    plugins: ArcSwap<HashMap<Arc<str>, Plugin>>,
}

impl Calls {
    /// The plugin metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let tool_calls = IntCounterVec::new(
            Opts::new(
                "moat_tool_calls_total",
                "Tool calls that reached a plugin, by plugin, tool and outcome",
            ),
            &["plugin", "gen_ai_tool_name", "outcome"],
        )?;
        let tool_duration = HistogramVec::new(
            HistogramOpts::new(
                "moat_tool_call_duration_seconds",
                "How long a tool call took in its plugin (slot wait, instance, run), by plugin and tool",
            )
            .buckets(BUCKETS.to_vec()),
            &["plugin", "gen_ai_tool_name"],
        )?;
        let plugin_requests = IntCounterVec::new(
            Opts::new(
                "moat_plugin_requests_total",
                "Requests that reached a plugin (tools/call, resources/read, prompts/get, completion/complete), by plugin, method and outcome",
            ),
            &["plugin", "mcp_method_name", "outcome"],
        )?;
        let limits = IntCounterVec::new(
            Opts::new(
                "moat_limits_hit_total",
                "Plugin runs stopped by a limit, by the limit's name (timeout, memory, ...)",
            ),
            &["limit"],
        )?;
        let event = |name: &str, help: &str| -> prometheus::Result<IntCounter> {
            let counter = IntCounter::new(name, help)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        let events = [
            event(
                "moat_plugin_loads_total",
                "Plugins loaded (at start, or added while serving)",
            )?,
            event(
                "moat_plugin_reloads_total",
                "Served plugins replaced by a new version of their file",
            )?,
            event(
                "moat_plugin_removals_total",
                "Plugins no longer served because their file went away",
            )?,
            event(
                "moat_plugin_refusals_total",
                "Plugins refused: failed to load, failed the lock, or refused by a policy",
            )?,
            event(
                "moat_lock_changes_total",
                "Changes of the lock file in force",
            )?,
        ];
        registry.register(Box::new(tool_calls.clone()))?;
        registry.register(Box::new(tool_duration.clone()))?;
        registry.register(Box::new(plugin_requests.clone()))?;
        registry.register(Box::new(limits.clone()))?;
        Ok(Self {
            tool_calls,
            tool_duration,
            plugin_requests,
            limits,
            events,
            plugins: ArcSwap::default(),
        })
    }

    /// Makes `plugin`'s handles, and `tool`'s among them if given, unless
    /// they exist: the first call of a tool.
    fn make(&self, plugin: &Arc<str>, tool: Option<&str>) {
        self.plugins.rcu(|plugins| {
            let mut plugins = HashMap::clone(plugins);
            let entry = plugins
                .entry(plugin.clone())
                .or_insert_with(|| self.plugin(plugin));
            if let Some(tool) = tool
                && !entry.tools.contains_key(tool)
            {
                entry
                    .tools
                    .insert(tool.into(), Arc::new(self.tool(plugin, tool)));
            }
            plugins
        });
    }

    /// Adds a request of `method` that ended with `outcome` (index) after
    /// `took` to `plugin`'s handles, and to `tool`'s: `false` if they are
    /// not made yet.
    fn record(&self, call: &Call, tool: Option<&str>, outcome: usize) -> bool {
        let plugins = self.plugins.load();
        let Some(plugin) = plugins.get(&call.plugin) else {
            return false;
        };
        let tool = match tool {
            Some(tool) => match plugin.tools.get(tool) {
                Some(handles) => Some(handles),
                None => return false,
            },
            None => None,
        };
        plugin.requests[method_index(call.method)][outcome].inc();
        if let Some(tool) = tool {
            tool.calls[outcome].inc();
            tool.duration.observe(call.took.as_secs_f64());
        }
        true
    }

    fn plugin(&self, plugin: &str) -> Plugin {
        let requests = METHODS.map(|method| {
            OUTCOMES.map(|outcome| {
                self.plugin_requests
                    .with_label_values(&[plugin, method.as_str(), outcome])
            })
        });
        Plugin {
            requests: Arc::new(requests),
            tools: HashMap::new(),
        }
    }

    fn tool(&self, plugin: &str, tool: &str) -> Tool {
        Tool {
            calls: OUTCOMES
                .map(|outcome| self.tool_calls.with_label_values(&[plugin, tool, outcome])),
            duration: self.tool_duration.with_label_values(&[plugin, tool]),
        }
    }

    /// Drops `plugin`'s series and handles: it is no longer served.
    fn forget(&self, plugin: &str) {
        let mut forgotten = None;
        self.plugins.rcu(|plugins| {
            let mut plugins = HashMap::clone(plugins);
            forgotten = plugins.remove(plugin);
            plugins
        });
        let Some(forgotten) = forgotten else { return };
        for tool in forgotten.tools.keys() {
            for outcome in OUTCOMES {
                let _ = self
                    .tool_calls
                    .remove_label_values(&[plugin, tool, outcome]);
            }
            let _ = self.tool_duration.remove_label_values(&[plugin, tool]);
        }
        for method in METHODS {
            for outcome in OUTCOMES {
                let labels = [plugin, method.as_str(), outcome];
                let _ = self.plugin_requests.remove_label_values(&labels);
            }
        }
    }
}

impl Sink for Calls {
    fn call(&self, call: &Call, outcome: &Outcome) {
        let tool = (call.method == Method::CallTool).then_some(call.target.as_str());
        let index = outcome_index(outcome);
        if !self.record(call, tool, index) {
            self.make(&call.plugin, tool);
            self.record(call, tool, index);
        }
        if let Outcome::Failed {
            limit: Some(limit), ..
        } = outcome
        {
            // Limit names are the host's own few: the lookup is fine here.
            self.limits.with_label_values(&[limit]).inc();
        }
    }

    fn event(&self, event: &Event<'_>) {
        let index = match event {
            Event::Loaded { .. } => 0,
            Event::Reloaded { .. } => 1,
            Event::Removed { plugin, .. } => {
                self.forget(plugin);
                2
            }
            Event::Refused { .. } => 3,
            Event::LockChanged { .. } => 4,
        };
        self.events[index].inc();
    }
}
