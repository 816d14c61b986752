//! Loading one plugin: its manifest, its compiled and linked component, and
//! the tools, resources and prompts it describes, checked once.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use wasmtime::component::{Component, InstancePre};

use super::bounds;
use super::convert::{server_def, tool_def};
use super::error::LoadError;
use super::plugin::LoadedPlugin;
use super::typed_tools;
use crate::clients::ClientLink;
use crate::lint::{Definitions, PluginLint, Review};
use crate::runtime::{CallError, CallState, Described, Exports, Instances, Op, Output, Runtime};
use crate::sandbox::Sandbox;
use crate::sandbox::manifest::{Manifest, ToolsSection};
use crate::typed::docs;
use crate::typed::exports::TypedFunc;

impl LoadedPlugin {
    /// Reads the manifest beside `path`, compiles the component, links it,
    /// and asks it for its tools. The plugin's name is the file's stem:
    /// `math.wasm` is `math`, and its manifest `math.toml`.
    pub async fn load(runtime: &Runtime, path: &Path) -> Result<Self, LoadError> {
        Self::load_with_manifest(runtime, path, Some(&Manifest::path_for(path))).await
    }

    /// Like [`Self::load`], with the manifest at `manifest` (if it exists)
    /// instead of beside the component; its relative paths are relative to
    /// its own directory. With `None`, the plugin is granted nothing.
    pub async fn load_with_manifest(
        runtime: &Runtime,
        path: &Path,
        manifest: Option<&Path>,
    ) -> Result<Self, LoadError> {
        let path = path.to_path_buf();
        let name: Arc<str> = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into())
            .unwrap_or_else(|| "plugin".into());
        let manifest_path = manifest;
        let manifest = match manifest_path {
            Some(file) => Manifest::read(file.to_owned())?,
            None => Manifest::default(),
        };
        let manifest_dir = manifest_path
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        let store = runtime.secrets();
        let sandbox =
            Sandbox::for_plugin(&manifest, manifest_dir, &name, store).map_err(|problem| {
                LoadError::Grant {
                    path: manifest_path.unwrap_or(&path).to_owned(),
                    problem,
                }
            })?;
        let http = !sandbox.network().is_empty();
        let sandbox_redactor = sandbox.redactor().cloned();
        let Compiled {
            pre,
            exports,
            docs,
            digest,
        } = compile(runtime, &path, http).await?;
        let typed = match exports.is_empty() {
            true => Some(typed_tools::functions(
                &pre,
                &path,
                &name,
                sandbox.listing(),
            )?),
            false => None,
        };
        let mut plugin = Self {
            instances: Arc::new(Instances::new(name.clone(), pre, exports, sandbox)),
            name,
            path,
            digest,
            tools: Vec::new(),
            own_names: Vec::new(),
            output_checks: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
            typed: Vec::new(),
            warnings: Vec::new(),
            secrets: manifest.secrets,
            granted: sandbox_redactor,
            lint: PluginLint::default(),
        };
        let source = match typed {
            Some(funcs) => Source::Typed {
                funcs,
                docs: docs.as_deref(),
            },
            None => Source::Describe,
        };
        plugin.describe(&manifest.tools, source).await?;
        plugin.lint = PluginLint::new(&manifest.lint, plugin.definitions());
        plugin.refuse_if_strict(&plugin.lint.review(&[]))?;
        Ok(plugin)
    }

    /// The definitions as served, for the lint.
    fn definitions(&self) -> Definitions<'_> {
        Definitions {
            tools: &self.tools,
            resources: &self.resources,
            templates: &self.templates,
            prompts: &self.prompts,
        }
    }

    /// Refuses the plugin if its lint is strict (`[lint] strict = true` or
    /// `--strict`) and `review` has a finding of severity error.
    pub(super) fn refuse_if_strict(&self, review: &Review) -> Result<(), LoadError> {
        match review.refusal().filter(|_| self.lint.strict()) {
            Some(findings) => Err(LoadError::Lint {
                path: self.path.clone(),
                plugin: self.name.to_string(),
                findings,
            }),
            None => Ok(()),
        }
    }

    /// Asks the plugin, once, what it serves, within its load budget (for a
    /// plain component, derives its tools from `source`, after starting
    /// one instance to prove it starts), applies the manifest's
    /// descriptions, and checks the whole against its listing limits before
    /// converting it.
    async fn describe(
        &mut self,
        section: &ToolsSection,
        source: Source<'_>,
    ) -> Result<(), LoadError> {
        let prefix = section.prefix.as_deref();
        let limits = *self.instances.sandbox().listing();
        let run = self.instances.run(ClientLink::default(), Op::Describe);
        let described = tokio::time::timeout(limits.load_timeout, run)
            .await
            .map_err(|_elapsed| LoadError::LoadBudget {
                path: self.path.clone(),
                plugin: self.name.to_string(),
                limit: limits.load_timeout,
            })?;
        let Output::Described(described) = described.map_err(|source| {
            // The describe store copies under the lift budget (see
            // `ListingLimits::lift_budget`): a listing over it is refused as one.
            if matches!(source, CallError::OutputTooLarge { .. }) {
                return LoadError::OverLiftBudget {
                    path: self.path.clone(),
                    plugin: self.name.to_string(),
                    budget: limits.lift_budget(),
                    limits: Box::new(limits),
                };
            }
            LoadError::Describe {
                path: self.path.clone(),
                cause: source,
            }
        })?
        else {
            unreachable!("describing answers descriptions");
        };
        let mut described = described;
        if let Source::Typed { funcs, docs } = source {
            typed_tools::derive(self, &mut described, funcs, docs, &section.descriptions);
        }
        self.describe_from_manifest(&mut described, &section.descriptions)?;
        bounds::check(&described, &limits).map_err(|over| LoadError::OverLimit {
            path: self.path.clone(),
            plugin: self.name.to_string(),
            over,
        })?;
        let mut seen = HashSet::with_capacity(described.tools.len());
        for tool in &described.tools {
            if !seen.insert(tool.name.as_str()) {
                return Err(LoadError::BadTool {
                    path: self.path.clone(),
                    tool: tool.name.clone(),
                    problem: "is described twice".into(),
                });
            }
        }
        drop(seen);
        for mut tool in described.tools {
            let own_name = tool.name.clone();
            let bad = |problem| LoadError::BadTool {
                path: self.path.clone(),
                tool: own_name.clone(),
                problem,
            };
            if let Some(prefix) = prefix {
                tool.name = format!("{prefix}_{}", tool.name);
            }
            let tool = tool_def::to_mcp(tool).map_err(bad)?;
            let check = match &tool.output_schema {
                Some(schema) => Some(
                    jsonschema::validator_for(&serde_json::Value::Object((**schema).clone()))
                        .map_err(|e| {
                            bad(format!(
                                "has an output schema that is not a valid JSON Schema: {e}"
                            ))
                        })?,
                ),
                None => None,
            };
            self.tools.push(tool);
            self.own_names.push(own_name);
            self.output_checks.push(check);
        }
        self.resources = described
            .resources
            .into_iter()
            .map(server_def::resource)
            .collect();
        self.templates = described
            .templates
            .into_iter()
            .map(server_def::template)
            .collect();
        self.prompts = described
            .prompts
            .into_iter()
            .map(server_def::prompt)
            .collect();
        Ok(())
    }
}

/// Where a plugin's tools come from.
enum Source<'a> {
    /// Its `describe` (a `moat:plugin` component).
    Describe,
    /// Its exported functions, and the data of its `package-docs` section.
    Typed {
        funcs: Vec<TypedFunc>,
        docs: Option<&'a [u8]>,
    },
}

impl LoadedPlugin {
    /// Gives each tool named in the manifest's `[tools.descriptions]` that
    /// description; a name the plugin does not serve is an error.
    fn describe_from_manifest(
        &self,
        described: &mut Described,
        descriptions: &BTreeMap<String, String>,
    ) -> Result<(), LoadError> {
        for (name, description) in descriptions {
            let tool = described.tools.iter_mut().find(|t| t.name == *name);
            let Some(tool) = tool else {
                return Err(LoadError::BadTool {
                    path: self.path.clone(),
                    tool: name.clone(),
                    problem: "has a description in the manifest's [tools.descriptions], but the plugin serves no such tool (name it as the plugin does, without the prefix)".into(),
                });
            };
            tool.description.clone_from(description);
        }
        Ok(())
    }
}

/// A component compiled and linked, with what was read off its bytes.
struct Compiled {
    pre: InstancePre<CallState>,
    /// Which interfaces it exports.
    exports: Exports,
    /// The data of its `package-docs` section.
    docs: Option<Vec<u8>>,
    /// `sha256:HEX` of the file.
    digest: Arc<str>,
}

/// Compiles the component at `path` (off the async threads), links it
/// (with `wasi:http` only if `http`: see [`Runtime::link`]), and finds which
/// interfaces it exports.
async fn compile(runtime: &Runtime, path: &Path, http: bool) -> Result<Compiled, LoadError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|cause| LoadError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
    if let Some(problem) = not_a_component(&bytes) {
        return Err(LoadError::Compile {
            path: path.to_path_buf(),
            cause: anyhow::anyhow!(problem),
        });
    }
    let docs = docs::section(&bytes).map(<[u8]>::to_vec);
    let engine = runtime.engine().clone();
    let compiled = tokio::task::spawn_blocking(move || {
        let digest: Arc<str> = format!("sha256:{:x}", Sha256::digest(&bytes)).into();
        Component::new(&engine, bytes).map(|component| (component, digest))
    })
    .await
    .map_err(|join| anyhow::anyhow!("the compiler crashed: {join}"))
    .and_then(|compiled| compiled.map_err(anyhow::Error::from))
    .map_err(|cause| LoadError::Compile {
        path: path.to_path_buf(),
        cause,
    })?;
    let contract = |cause: anyhow::Error| LoadError::Contract {
        path: path.to_path_buf(),
        cause,
    };
    let (component, digest) = compiled;
    let pre = runtime
        .link(&component, http)
        .map_err(|error| contract(error.into()))?;
    let exports = Exports::find(&pre).map_err(contract)?;
    Ok(Compiled {
        pre,
        exports,
        docs,
        digest,
    })
}

/// Names the common ways a file is not a component, before the compiler
/// gives a less readable answer.
fn not_a_component(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_VERSION: &[u8] = &[1, 0, 0, 0];
    if !bytes.starts_with(MAGIC) {
        return Some("not a WebAssembly file: it does not start with the `\\0asm` header");
    }
    if bytes.get(4..8) == Some(CORE_VERSION) {
        return Some(
            "a core WebAssembly module, not a component: build it with \
             `--target wasm32-wasip2`, or wrap it with `wasm-tools component new`",
        );
    }
    None
}
