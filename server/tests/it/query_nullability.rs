//! A guard on the compile-time-checked queries (docs/ARCHITECTURE.md "Queries checked at compile time").
//! `query_as!` fills a struct's `Option<T>` field from a column sqlx inferred NOT NULL by decoding a `T`
//! and wrapping it, so the day that column is NULL after all (a derived table or a CTE hides a LEFT JOIN
//! from the inference) the query fails at run time — the compiler can't see it. Here every `query_as!`
//! and `query_file_as!` of the server's crates is matched with its query data in `.sqlx/`, and an
//! `Option` field fed by a column inferred NOT NULL must say `?` in its name (`"threshold?"`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

#[test]
fn every_optional_field_of_a_checked_query_may_be_null_in_its_column() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let described = query_data(&root.join(".sqlx"));
    assert!(described.len() > 100, "read only {} queries from .sqlx/", described.len());
    let mut problems = Vec::new();
    let mut checked = 0;
    for krate in ["core", "app", "server"] {
        let files = rust_files(&root.join(krate).join("src"));
        let mut structs = HashMap::new();
        let mut calls = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("readable source");
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut visitor = Queries { krate: root.join(krate), structs: &mut structs, calls: &mut calls };
            visitor.visit_file(&ast);
        }
        for (file_struct, sql) in calls {
            let Some(columns) = described.get(sql.trim()).or_else(|| described.get(&sql)) else {
                problems.push(format!(
                    "{krate}: no query data for a `{file_struct}` query (run scripts/sqlx-prepare.sh)"
                ));
                continue;
            };
            let Some(fields) = structs.get(&file_struct) else { continue };
            checked += 1;
            for (name, inferred_nullable) in columns {
                let field = name.split(['?', '!', ':']).next().unwrap_or_default().trim();
                let forced = name[field.len()..].trim_start().chars().next();
                let nullable = match forced {
                    Some('?') => true,
                    Some('!') => false,
                    _ => *inferred_nullable,
                };
                if fields.get(field).is_some_and(|optional| *optional) && !nullable {
                    problems.push(format!(
                        "{krate}: `{file_struct}.{field}` is an Option, but its column `{name}` is inferred NOT NULL: \
                         name it \"{field}?\" if it can be NULL, or make the field non-optional"
                    ));
                }
            }
        }
    }
    assert!(checked > 30, "matched only {checked} query_as! calls with their query data");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Each query's text and its columns: (name as written, whether sqlx inferred it may be NULL; unknown
/// counts as nullable, as sqlx treats it).
fn query_data(dir: &Path) -> HashMap<String, Vec<(String, bool)>> {
    let mut found = HashMap::new();
    for entry in std::fs::read_dir(dir).expect(".sqlx/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let describe = &json["describe"];
        let names = describe["columns"].as_array().expect("columns");
        let nullable = describe["nullable"].as_array().expect("nullable");
        let columns = names
            .iter()
            .zip(nullable)
            .map(|(c, n)| (c["name"].as_str().unwrap_or_default().to_string(), n.as_bool() != Some(false)))
            .collect();
        found.insert(json["query"].as_str().expect("query").to_string(), columns);
    }
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Structs (name → field → is it an `Option`) and `query_as!` calls (struct, SQL) of one crate.
struct Queries<'a> {
    krate: PathBuf,
    structs: &'a mut HashMap<String, HashMap<String, bool>>,
    calls: &'a mut Vec<(String, String)>,
}

impl<'ast> Visit<'ast> for Queries<'_> {
    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        let fields = item
            .fields
            .iter()
            .filter_map(|f| {
                let name = f.ident.as_ref()?.to_string();
                let optional = matches!(&f.ty, syn::Type::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
                Some((name, optional))
            })
            .collect();
        self.structs.insert(item.ident.to_string(), fields);
        syn::visit::visit_item_struct(self, item);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if name == "query_as" || name == "query_file_as" {
            let parsed = mac
                .parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated);
            if let Ok(args) = parsed {
                let mut args = args.into_iter();
                if let (Some(syn::Expr::Path(record)), Some(syn::Expr::Lit(lit))) = (args.next(), args.next())
                {
                    if let syn::Lit::Str(text) = lit.lit {
                        let record =
                            record.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                        let sql = if name == "query_file_as" {
                            std::fs::read_to_string(self.krate.join(text.value())).expect("query file")
                        } else {
                            text.value()
                        };
                        self.calls.push((record, sql));
                    }
                }
            }
        }
        syn::visit::visit_macro(self, mac);
    }
}
