//! The OpenAPI document matches the server: every documented route is called and each answer
//! is checked against the documented status and schema (a small JSON Schema checker for the
//! keywords the document uses), and every API route of the router is documented.

mod support;

use serde_json::Value;
use support::{app, get};

/// Checks `value` against `schema`; returns the first mismatch as "path: reason".
fn check(doc: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, path);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(doc, s, value, path)?;
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{path}: {value} is not {types:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            return Err(format!("{path}: {value} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            return Err(format!("{path}: {value} not in {e:?}"));
        }
    }
    if let (Some(min), Some(v)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if v < min {
            return Err(format!("{path}: {v} < {min}"));
        }
    }
    if let Some(obj) = value.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                return Err(format!("{path}: missing {r}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                if let Some(v) = obj.get(k) {
                    check(doc, s, v, &format!("{path}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check(doc, items, v, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_documented_route_answers_as_documented() {
    let app = app().await;
    let doc = get(&app.router, "/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let id = get(&app.router, "/api/v1/lieux?q=montauban").await.json()["lieux"][0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        // The booking writes (POST, DELETE) are checked by tests/booking.rs.
        let Some(op) = item.get("get") else { continue };
        // Call the route plainly, with each documented example, and with a wrong value.
        let concrete = path.replace("{id}", &id);
        let mut calls = vec![(concrete.clone(), "200")];
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" {
                if let Some(ex) = p.get("example") {
                    let v = ex
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| ex.to_string());
                    let v: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
                    calls.push((
                        format!("{concrete}?{}={v}", p["name"].as_str().expect("name")),
                        "200",
                    ));
                }
                if p["schema"]["type"] == "integer" {
                    calls.push((
                        format!(
                            "{concrete}?{}=pas-un-nombre",
                            p["name"].as_str().expect("name")
                        ),
                        "400",
                    ));
                }
            }
        }
        if path.contains("{id}") {
            calls.push((path.replace("{id}", "inconnu"), "404"));
        }
        for (uri, expected) in calls {
            let a = get(&app.router, &uri).await;
            assert_eq!(
                a.status.as_str(),
                expected,
                "{uri}: {}",
                &a.body[..a.body.len().min(300)]
            );
            let response = &op["responses"][expected];
            assert!(
                response.is_object(),
                "{uri}: status {expected} is not documented"
            );
            let ct = a.headers["content-type"].to_str().expect("ct");
            let ct = ct.split(';').next().expect("ct").trim();
            let schema = &response["content"][ct]["schema"];
            assert!(
                schema.is_object(),
                "{uri}: content type {ct} not documented for {expected}"
            );
            if ct.ends_with("json") {
                let body: Value = serde_json::from_str(&a.body).expect("json");
                check(&doc, schema, &body, "$").unwrap_or_else(|e| panic!("{uri}: {e}"));
            }
        }
    }
    // Every API route of the router is documented.
    let router_src = include_str!("../src/router.rs");
    for line in router_src
        .lines()
        .filter(|l| l.contains(".route(\"/api/v1"))
    {
        let route = line.split('"').nth(1).expect("route path");
        assert!(
            paths.contains_key(route),
            "{route} is served but not documented"
        );
    }
}

#[tokio::test]
async fn the_documentation_page_lists_the_documented_parameters() {
    let app = app().await;
    let doc = get(&app.router, "/api/v1/openapi.json").await.json();
    let page = get(&app.router, "/api").await;
    for p in doc["paths"]["/api/v1/lieux"]["get"]["parameters"]
        .as_array()
        .expect("params")
    {
        let name = p["name"].as_str().expect("name");
        assert!(
            page.body.contains(&format!("<code>{name}</code>")),
            "{name} missing from /api"
        );
    }
}
