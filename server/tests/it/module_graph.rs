//! The shape of the code (docs/ARCHITECTURE.md "Layout"), checked on the sources themselves: no module
//! imports a module that imports it back — file by file, and folder by folder — and every top-level
//! module of a crate imports only from the layers below its own. Between crates Cargo itself keeps the
//! order: `tollgate-domain` ← `tollgate-core` ← `app` ← `server`. A change that points a module back up
//! (the ledger reaching for the wallet page, a server helper reaching for the router) fails here with the
//! offending import named.
//!
//! Every `crate::…`, `super::…` and `self::…` path counts: in `use` items, in code, in types and inside
//! macros such as `view!`. Declaring a child (`mod x;`) is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The shared vocabulary's top-level modules (`domain/`), lowest layer first. A module may import only
/// from earlier layers.
const DOMAIN_LAYERS: &[&[&str]] = &[
    &["money", "utc", "url_query", "pg_liveness"],
    &["error"],
    &["accounts"],
    &["audit_log", "catalog", "ledger", "oauth", "payments", "keys", "staff", "teams", "webhooks"],
    &["metering", "back_office", "statements"],
];

/// The money core's top-level modules (`core/`), lowest layer first.
const CORE_LAYERS: &[&[&str]] = &[
    &["client_ip", "random", "pg_wakeup", "throttle"],
    &["audit"],
    &["accounts", "catalog", "ledger"],
    &["webhooks"],
    &["payments", "credit"],
    &["keys"],
    &["metering", "oauth"],
    &["teams", "staff"],
    &["back_office", "reads"],
];

/// The pages' crate's top-level modules (`app/`), lowest layer first.
const APP_LAYERS: &[&[&str]] = &[
    &["server_fn_context"],
    &["content_security_policy", "assets"],
    &["ui"],
    &["auth"],
    &["teams"],
    &["keys", "settings"],
    &["charts"],
    &["usage"],
    &["oauth"],
    &["wallet", "checkout", "audit_log", "admin", "statements"],
    &["layout"],
    &["routes"],
    &["shell"],
];

/// The server crate's top-level modules, lowest layer first.
const SERVER_LAYERS: &[&[&str]] = &[
    &["sandbox_processor", "stripe", "http", "cli", "statement_pdf"],
    &["config"],
    &["state"],
    &["workers"],
    &["startup"],
    &["channels"],
    &["router"],
];

/// Inside `channels/`: every channel imports only `shared`, never another channel.
const CHANNEL_LAYERS: &[&[&str]] =
    &[&["shared"], &["api", "gateway", "mcp", "oauth", "pages", "processor_events"]];

/// A module, as the path from its crate's root (`["payments", "add_funds"]`; the root is `[]`).
type Module = Vec<String>;

#[test]
fn no_module_imports_a_module_that_imports_it_back_and_layers_point_down() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for (name, src, layers) in [
        ("domain", manifest.join("../domain/src"), DOMAIN_LAYERS),
        ("core", manifest.join("../core/src"), CORE_LAYERS),
        ("app", manifest.join("../app/src"), APP_LAYERS),
        ("server", manifest.join("src"), SERVER_LAYERS),
    ] {
        let graph = import_graph(&src);
        assert!(graph.len() > 10, "{name}: read only {} modules from {}", graph.len(), src.display());
        problems.extend(cycles(&graph).into_iter().map(|c| format!("{name}: files import each other: {c}")));
        let folders = folder_graph(&graph);
        problems
            .extend(cycles(&folders).into_iter().map(|c| format!("{name}: folders import each other: {c}")));
        problems.extend(layer_violations(&folders, layers).into_iter().map(|v| format!("{name}: {v}")));
        if name == "server" {
            let channels = sub_folder_graph(&graph, "channels");
            assert!(channels.len() >= 4, "read only {} channels", channels.len());
            problems.extend(
                layer_violations(&channels, CHANNEL_LAYERS)
                    .into_iter()
                    .map(|v| format!("server::channels: {v}")),
            );
        }
    }
    assert!(problems.is_empty(), "the module graph has problems:\n{}", problems.join("\n"));
}

/// Each module of the crate under `src` and the modules it imports (other than itself).
fn import_graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let files = rust_files(src);
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("readable source");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut visitor = Imports { inline: Vec::new(), file_module: module.clone(), found: Vec::new() };
        visitor.visit_file(&ast);
        let targets = visitor
            .found
            .into_iter()
            .filter_map(|path| owning_module(&modules, &path))
            .filter(|target| *target != module)
            .collect();
        graph.insert(module, targets);
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `wallet/page.rs` → `wallet::page`, `wallet/mod.rs` → `wallet`, `lib.rs` and `main.rs` → the root.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The module file a path names: the longest prefix of it that is a module of the crate.
fn owning_module(modules: &BTreeSet<Module>, path: &[String]) -> Option<Module> {
    (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|prefix| modules.contains(prefix))
}

/// Collects every crate-relative path a file uses, resolved to a path from the crate root.
struct Imports {
    file_module: Module,
    /// Inline modules (`mod store { … }`) around the current item, inside this file.
    inline: Vec<String>,
    found: Vec<Module>,
}

impl Imports {
    fn current(&self) -> Module {
        self.file_module.iter().chain(&self.inline).cloned().collect()
    }

    /// `crate::a::b` → `[a, b]`; `super::x` → the parent's `x`; `self::x` → this module's `x`; other
    /// paths (other crates, local names) → nothing.
    fn resolve(&self, segments: &[String]) -> Option<Module> {
        let mut resolved = self.current();
        let mut rest = segments;
        match segments.first().map(String::as_str) {
            Some("crate") => {
                resolved.clear();
                rest = &segments[1..];
            }
            Some("super") | Some("self") => {
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "super" => {
                            resolved.pop()?;
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        resolved.extend(rest.iter().cloned());
        Some(resolved)
    }

    fn record(&mut self, segments: Vec<String>) {
        if let Some(path) = self.resolve(&segments) {
            self.found.push(path);
        }
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let mut next = prefix;
                next.push(p.ident.to_string());
                self.use_tree(next, &p.tree);
            }
            syn::UseTree::Name(n) => self.record(with(prefix, n.ident.to_string())),
            syn::UseTree::Rename(r) => self.record(with(prefix, r.ident.to_string())),
            syn::UseTree::Glob(_) => self.record(prefix),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix.clone(), tree);
                }
            }
        }
    }

    /// `crate :: a :: b` sequences inside a macro's tokens (`view!`, `format!`…).
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::TokenTree;
        #[derive(PartialEq)]
        enum Seen {
            Nothing,
            Ident,
            OneColon,
            Colons,
        }
        let (mut path, mut seen) = (Vec::new(), Seen::Nothing);
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => {
                    let ident = ident.to_string();
                    if seen == Seen::Colons {
                        path.push(ident);
                        seen = Seen::Ident;
                        continue;
                    }
                    self.flush(&mut path);
                    seen = Seen::Nothing;
                    if ["crate", "super", "self"].contains(&ident.as_str()) {
                        path.push(ident);
                        seen = Seen::Ident;
                    }
                }
                TokenTree::Punct(p) if p.as_char() == ':' && seen == Seen::Ident => seen = Seen::OneColon,
                TokenTree::Punct(p) if p.as_char() == ':' && seen == Seen::OneColon => seen = Seen::Colons,
                TokenTree::Group(group) => {
                    self.flush(&mut path);
                    seen = Seen::Nothing;
                    self.tokens(group.stream());
                }
                _ => {
                    self.flush(&mut path);
                    seen = Seen::Nothing;
                }
            }
        }
        self.flush(&mut path);
    }

    fn flush(&mut self, path: &mut Vec<String>) {
        if path.len() > 1 {
            self.record(std::mem::take(path));
        }
        path.clear();
    }
}

fn with(mut prefix: Vec<String>, last: String) -> Vec<String> {
    if last != "self" {
        prefix.push(last);
    }
    prefix
}

impl<'ast> Visit<'ast> for Imports {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(Vec::new(), &item.tree);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.inline.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.inline.pop();
    }

    /// `pub(crate)`, `pub(super)`: a visibility, not an import.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.record(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// The graph between top-level modules (`payments::add_funds` → `payments`). The crate root is left out:
/// it only declares the modules (and re-exports for the other crates).
fn folder_graph(graph: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, BTreeSet<Module>> {
    let top = |m: &Module| m.first().map(|first| vec![first.clone()]);
    let mut folders: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, targets) in graph {
        let Some(from) = top(from) else { continue };
        let entry = folders.entry(from.clone()).or_default();
        entry.extend(targets.iter().map(|t| top(t).unwrap_or_default()).filter(|t| *t != from));
    }
    folders
}

/// The graph between the folders directly under `parent` (`channels::api::wallet` → `api`), leaving out
/// imports from or to anything outside it.
fn sub_folder_graph(
    graph: &BTreeMap<Module, BTreeSet<Module>>,
    parent: &str,
) -> BTreeMap<Module, BTreeSet<Module>> {
    let under = |m: &Module| (m.len() >= 2 && m[0] == parent).then(|| vec![m[1].clone()]);
    let mut folders: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, targets) in graph {
        let Some(from) = under(from) else { continue };
        let entry = folders.entry(from.clone()).or_default();
        entry.extend(targets.iter().filter_map(under).filter(|t| *t != from));
    }
    folders
}

/// Every cycle found by a depth-first search, each written `a -> b -> a`.
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
        found: &mut Vec<String>,
    ) {
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|m| m == next).unwrap_or(0);
                    let names: Vec<String> = stack[start..].iter().chain([next]).map(name).collect();
                    found.push(names.join(" -> "));
                }
                Some(Mark::Done) => {}
                None => visit(next, graph, marks, stack, found),
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
    }
    let (mut marks, mut found) = (BTreeMap::new(), Vec::new());
    for node in graph.keys() {
        if !marks.contains_key(node) {
            visit(node, graph, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

/// Imports that don't point to a lower layer, and top-level modules the layer list doesn't place.
fn layer_violations(folders: &BTreeMap<Module, BTreeSet<Module>>, layers: &[&[&str]]) -> Vec<String> {
    let layer_of = |m: &Module| {
        if m.is_empty() {
            return Some(usize::MAX); // the crate root: above everything
        }
        layers.iter().position(|layer| layer.contains(&m[0].as_str()))
    };
    let mut problems = Vec::new();
    for (from, targets) in folders {
        let Some(from_layer) = layer_of(from) else {
            problems.push(format!("`{}` is in no layer of tests/it/module_graph.rs", name(from)));
            continue;
        };
        for target in targets {
            match layer_of(target) {
                Some(to) if to < from_layer => {}
                _ => problems.push(format!(
                    "`{}` imports `{}`, which is not below it",
                    name(from),
                    name(target)
                )),
            }
        }
    }
    problems
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

#[test]
fn the_checker_sees_imports_in_use_items_code_and_macros() {
    let src = r#"
        use super::{a, b::c};
        use crate::ledger::post;
        fn f() { crate::money::Usd::ZERO; let _ = view! { <X v=crate::usage::report::f()/> }; }
        mod inner { use super::sibling; }
    "#;
    let ast = syn::parse_file(src).unwrap();
    let mut visitor =
        Imports { inline: Vec::new(), file_module: vec!["wallet".into(), "page".into()], found: vec![] };
    visitor.visit_file(&ast);
    let found: BTreeSet<String> = visitor.found.iter().map(name).collect();
    for expected in [
        "wallet::a",
        "wallet::b::c",
        "ledger::post",
        "money::Usd::ZERO",
        "usage::report::f",
        "wallet::page::sibling",
    ] {
        assert!(found.contains(expected), "{expected} not in {found:?}");
    }
    let graph: BTreeMap<Module, BTreeSet<Module>> = [
        (vec!["a".to_string()], BTreeSet::from([vec!["b".to_string()]])),
        (vec!["b".to_string()], BTreeSet::from([vec!["a".to_string()]])),
    ]
    .into();
    assert_eq!(cycles(&graph), ["a -> b -> a"]);
    assert_eq!(layer_violations(&graph, &[&["a"], &["b"]]), ["`a` imports `b`, which is not below it"]);
}
