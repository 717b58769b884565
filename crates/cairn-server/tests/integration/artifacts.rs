//! Artifacts: the mlflow-artifacts proxy (PUT, GET, list, DELETE), the
//! tracking API's `artifacts/list`, `/get-artifact`, and escape attempts.

use axum::body::Body;
use axum::http::{Method, header};
use serde_json::{Value, json};

use crate::common::*;

/// `mlflow-artifacts:/<exp>/<run>/artifacts` -> `<exp>/<run>/artifacts`.
fn proxy_prefix(run: &Value) -> String {
    run["info"]["artifact_uri"]
        .as_str()
        .unwrap()
        .strip_prefix("mlflow-artifacts:/")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn proxy_upload_download_list_delete() {
    let s = Server::new();
    let run = s.run_at("0", 1).await;
    let prefix = proxy_prefix(&run);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    s.upload(&format!("{prefix}/model/weights.bin"), &bytes)
        .await;
    s.upload(&format!("{prefix}/model/MLmodel"), b"flavors: {}\n")
        .await;
    s.upload(&format!("{prefix}/notes.txt"), b"hello").await;
    // The file is where the path says, under the destination.
    let on_disk = s.artifact_root().join(&prefix).join("model/weights.bin");
    assert_eq!(std::fs::read(&on_disk).unwrap(), bytes);

    // Download: identical bytes, attachment disposition, nosniff.
    let got = s
        .get_at(&format!("{PROXY}/{prefix}/model/weights.bin"))
        .await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.bytes, bytes);
    assert_eq!(
        got.headers[header::CONTENT_LENGTH].to_str().unwrap(),
        bytes.len().to_string()
    );
    assert!(
        got.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("weights.bin")
    );
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    let txt = s.get_at(&format!("{PROXY}/{prefix}/notes.txt")).await;
    assert_eq!(txt.bytes, b"hello");
    assert!(
        txt.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );

    // List: basenames, dirs without sizes.
    let listing = s
        .get_at(&format!("{PROXY}?path={}", enc(&prefix)))
        .await
        .ok();
    assert_eq!(
        listing,
        json!({"files": [
            {"path": "model", "is_dir": true},
            {"path": "notes.txt", "is_dir": false, "file_size": 5}]})
    );
    let listing = s
        .get_at(&format!("{PROXY}?path={}", enc(&format!("{prefix}/model"))))
        .await
        .ok();
    assert_eq!(
        listing,
        json!({"files": [
            {"path": "MLmodel", "is_dir": false, "file_size": 12},
            {"path": "weights.bin", "is_dir": false, "file_size": 300_000}]})
    );
    // A missing directory lists as empty.
    assert_eq!(
        s.get_at(&format!("{PROXY}?path=nothing/here")).await.ok(),
        json!({})
    );

    // Overwrite.
    s.upload(&format!("{prefix}/notes.txt"), b"bye").await;
    assert_eq!(
        s.get_at(&format!("{PROXY}/{prefix}/notes.txt")).await.bytes,
        b"bye"
    );

    // Delete a file, then a directory.
    let del = s
        .raw(
            Method::DELETE,
            &format!("{PROXY}/{prefix}/notes.txt"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(del.ok(), json!({}));
    s.get_at(&format!("{PROXY}/{prefix}/notes.txt"))
        .await
        .not_found();
    s.raw(
        Method::DELETE,
        &format!("{PROXY}/{prefix}/model"),
        None,
        Body::empty(),
    )
    .await
    .ok();
    assert!(!on_disk.exists());
    s.raw(
        Method::DELETE,
        &format!("{PROXY}/{prefix}/model"),
        None,
        Body::empty(),
    )
    .await
    .not_found();
    s.get_at(&format!("{PROXY}/{prefix}/nope.bin"))
        .await
        .not_found();
}

#[tokio::test]
async fn tracking_list_is_run_relative() {
    let s = Server::new();
    let run = s.run_at("0", 1).await;
    let id = run["info"]["run_id"].as_str().unwrap().to_owned();
    let uri = run["info"]["artifact_uri"].as_str().unwrap().to_owned();
    let prefix = proxy_prefix(&run);
    // Nothing yet: only the root URI.
    assert_eq!(
        s.get(&format!("/artifacts/list?run_id={id}")).await.ok(),
        json!({"root_uri": uri})
    );
    s.upload(&format!("{prefix}/data/a.csv"), b"x,y\n").await;
    s.upload(&format!("{prefix}/data/deeper/b.csv"), b"1").await;
    s.upload(&format!("{prefix}/top.json"), b"{}").await;
    let root = s.get(&format!("/artifacts/list?run_id={id}")).await.ok();
    assert_eq!(
        root,
        json!({"root_uri": uri, "files": [
            {"path": "data", "is_dir": true},
            {"path": "top.json", "is_dir": false, "file_size": 2}]})
    );
    let data = s
        .get(&format!("/artifacts/list?run_uuid={id}&path=data"))
        .await
        .ok();
    assert_eq!(
        data,
        json!({"root_uri": uri, "files": [
            {"path": "data/a.csv", "is_dir": false, "file_size": 4},
            {"path": "data/deeper", "is_dir": true}]})
    );
    let ajax = s
        .get_at(&format!("{AJAX}/artifacts/list?run_id={id}&path=data"))
        .await
        .ok();
    assert_eq!(ajax, data);
    s.get("/artifacts/list?run_id=0123456789abcdef0123456789abcdef")
        .await
        .not_found();
    s.get("/artifacts/list").await.invalid();
}

#[tokio::test]
async fn get_artifact_serves_run_files() {
    let s = Server::new();
    let run = s.run_at("0", 1).await;
    let id = run["info"]["run_id"].as_str().unwrap().to_owned();
    let prefix = proxy_prefix(&run);
    s.upload(
        &format!("{prefix}/plots/loss.svg"),
        b"<svg onload=alert(1)/>",
    )
    .await;
    let got = s
        .get_at(&format!("/get-artifact?run_uuid={id}&path=plots/loss.svg"))
        .await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.bytes, b"<svg onload=alert(1)/>");
    // Never served as active content.
    assert!(
        got.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(got.headers.get(header::CONTENT_DISPOSITION).is_none());
    s.get_at(&format!("/get-artifact?run_uuid={id}&path=missing.txt"))
        .await
        .not_found();
    s.get_at(&format!("/get-artifact?run_uuid={id}"))
        .await
        .invalid();
    s.get_at("/get-artifact?run_uuid=0123456789abcdef0123456789abcdef&path=a.txt")
        .await
        .not_found();
}

#[tokio::test]
async fn ajax_proxy_prefix_works() {
    let s = Server::new();
    let resp = s
        .raw(
            Method::PUT,
            "/ajax-api/2.0/mlflow-artifacts/artifacts/x/y.txt",
            None,
            b"ajax".to_vec(),
        )
        .await;
    resp.ok();
    let got = s.get_at(&format!("{PROXY}/x/y.txt")).await;
    assert_eq!(got.bytes, b"ajax");
    let listing = s
        .get_at("/ajax-api/2.0/mlflow-artifacts/artifacts?path=x")
        .await
        .ok();
    assert_eq!(listing["files"][0]["path"], json!("y.txt"));
}

#[tokio::test]
async fn multipart_is_not_implemented_and_disabled_serving_is_an_error() {
    let s = Server::new();
    s.post_at(
        "/api/2.0/mlflow-artifacts/mpu/create/a/b.bin",
        &json!({"path": "a/b.bin", "num_parts": 2}),
    )
    .await
    .err(501, "NOT_IMPLEMENTED");
    let off = Server::without_artifacts();
    off.get_at(&format!("{PROXY}/a.txt"))
        .await
        .err(501, "NOT_IMPLEMENTED");
    off.raw(Method::PUT, &format!("{PROXY}/a.txt"), None, b"x".to_vec())
        .await
        .err(501, "NOT_IMPLEMENTED");
    assert!(!off.dir().join("artifacts").exists());
}

/// Raw (already URL-encoded) path tails that must never reach storage,
/// wherever they appear in a path.
pub(crate) const ESCAPES: &[&str] = &[
    "..",
    "../secret.txt",
    "a/../../secret.txt",
    "a/..",
    "./a",
    "%2e%2e/secret.txt",
    "%2E%2E/secret.txt",
    "..%2fsecret.txt",
    "..%2Fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "%252e%252e/secret.txt",
    "%252e%252e%252fsecret.txt",
    "..%5csecret.txt",
    "%5c..%5csecret.txt",
    "a%5c..%5c..%5csecret.txt",
    "a%00b",
    "a/%0a/b",
];

/// Forms that are escapes at the start of a path (absolute, drive letters);
/// in the middle of a path they are ordinary segments, as in MLflow.
pub(crate) const LEADING_ESCAPES: &[&str] = &[
    "%2fetc%2fpasswd",
    "%2F",
    "%2f%2e%2e%2fsecret.txt",
    "C:%5cWindows%5cwin.ini",
    "C:/Windows/win.ini",
    "c:secret.txt",
];

/// A server with one run, a file inside the artifact root and a secret next to it.
async fn escape_fixture() -> (Server, String, String) {
    let s = Server::new();
    std::fs::write(s.dir().join("secret.txt"), b"TOP SECRET").unwrap();
    let run = s.run_at("0", 1).await;
    let id = run["info"]["run_id"].as_str().unwrap().to_owned();
    let prefix = proxy_prefix(&run);
    s.upload(&format!("{prefix}/keep.txt"), b"keep").await;
    s.upload("keep-root.txt", b"root").await;
    (s, id, prefix)
}

/// Everything the fixture stored is still there, nothing else was written.
fn assert_untouched(s: &Server, prefix: &str) {
    assert_eq!(
        std::fs::read(s.dir().join("secret.txt")).unwrap(),
        b"TOP SECRET"
    );
    assert_eq!(
        std::fs::read(s.artifact_root().join(prefix).join("keep.txt")).unwrap(),
        b"keep"
    );
    assert_eq!(
        std::fs::read(s.artifact_root().join("keep-root.txt")).unwrap(),
        b"root"
    );
    let mut top: Vec<String> = std::fs::read_dir(s.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("mlflow.db"))
        .collect();
    top.sort();
    assert_eq!(top, ["artifacts", "secret.txt"], "nothing written outside");
    let mut inside: Vec<String> = std::fs::read_dir(s.artifact_root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["0", "keep-root.txt"], "nothing new inside");
}

#[track_caller]
fn assert_refused(resp: &Resp, what: &str) {
    assert!(
        resp.status.is_client_error(),
        "{what}: expected 4xx, got {} {}",
        resp.status,
        resp.text()
    );
    assert!(
        !resp.text().contains("TOP SECRET"),
        "{what}: leaked the secret"
    );
    if resp.status.as_u16() == 400 {
        resp.invalid();
    }
}

#[tokio::test]
async fn proxy_refuses_escaping_paths() {
    let (s, _id, prefix) = escape_fixture().await;
    let cases = ESCAPES
        .iter()
        .map(|raw| (*raw, vec![PROXY.to_owned(), format!("{PROXY}/{prefix}")]))
        .chain(
            LEADING_ESCAPES
                .iter()
                .map(|raw| (*raw, vec![PROXY.to_owned()])),
        );
    for (raw, bases) in cases {
        for base in bases {
            let uri = format!("{base}/{raw}");
            let get = s.get_at(&uri).await;
            assert_refused(&get, &format!("GET {uri}"));
            let put = s.raw(Method::PUT, &uri, None, b"PWNED".to_vec()).await;
            assert_refused(&put, &format!("PUT {uri}"));
            let del = s.raw(Method::DELETE, &uri, None, Body::empty()).await;
            assert_refused(&del, &format!("DELETE {uri}"));
        }
        let list = s.get_at(&format!("{PROXY}?path={raw}")).await;
        assert_refused(&list, &format!("list ?path={raw}"));
    }
    assert_untouched(&s, &prefix);
}

#[tokio::test]
async fn proxy_paths_escape_messages_are_json_400s() {
    let (s, _id, prefix) = escape_fixture().await;
    // The canonical cases give MLflow's 400 INVALID_PARAMETER_VALUE.
    for raw in [
        "..%2fsecret.txt",
        "%2e%2e/secret.txt",
        "%252e%252e/x",
        "a%5cb",
        "%2fetc",
    ] {
        s.get_at(&format!("{PROXY}/{raw}")).await.invalid();
        s.get_at(&format!("{PROXY}?path={raw}")).await.invalid();
    }
    assert_untouched(&s, &prefix);
}

#[tokio::test]
async fn run_artifact_endpoints_refuse_escaping_paths() {
    let (s, id, prefix) = escape_fixture().await;
    for raw in ESCAPES.iter().chain(LEADING_ESCAPES) {
        let list = s
            .get(&format!("/artifacts/list?run_id={id}&path={raw}"))
            .await;
        assert_refused(&list, &format!("artifacts/list path={raw}"));
        let get = s
            .get_at(&format!("/get-artifact?run_uuid={id}&path={raw}"))
            .await;
        assert_refused(&get, &format!("get-artifact path={raw}"));
    }
    // Climbing from a run's root to another run's files is refused as well.
    for raw in ["../../0/x", "..%2f..%2fkeep-root.txt"] {
        let get = s
            .get_at(&format!("/get-artifact?run_uuid={id}&path={raw}"))
            .await;
        get.invalid();
    }
    // Run ids are validated before they name any path.
    for bad in ["..", "..%2f..", "a%2fb", "%2e%2e"] {
        let resp = s.get(&format!("/artifacts/list?run_id={bad}")).await;
        assert_refused(&resp, &format!("artifacts/list run_id={bad}"));
        let resp = s
            .get_at(&format!("/get-artifact?run_uuid={bad}&path=keep.txt"))
            .await;
        assert_refused(&resp, &format!("get-artifact run_uuid={bad}"));
    }
    assert_untouched(&s, &prefix);
}

#[tokio::test]
async fn uploads_that_conflict_with_existing_files_or_dirs_are_client_errors() {
    let s = Server::new();
    s.upload("conflict/dir/file.txt", b"one").await;
    // The target is an existing directory.
    s.raw(
        Method::PUT,
        &format!("{PROXY}/conflict/dir"),
        None,
        b"x".to_vec(),
    )
    .await
    .invalid();
    // A parent is an existing file.
    s.raw(
        Method::PUT,
        &format!("{PROXY}/conflict/dir/file.txt/child"),
        None,
        b"x".to_vec(),
    )
    .await
    .invalid();
    // Nothing changed.
    assert_eq!(
        s.get_at(&format!("{PROXY}/conflict/dir/file.txt"))
            .await
            .bytes,
        b"one"
    );
    assert_eq!(
        s.get_at(&format!("{PROXY}?path=conflict/dir")).await.ok(),
        json!({"files": [{"path": "file.txt", "is_dir": false, "file_size": 3}]})
    );
    // Downloading a directory is not found, not an error.
    s.get_at(&format!("{PROXY}/conflict/dir")).await.not_found();
}

#[tokio::test]
async fn file_names_ending_in_a_colon_are_client_errors() {
    let s = Server::new();
    s.raw(
        Method::PUT,
        &format!("{PROXY}/dir/x%3A"),
        None,
        b"x".to_vec(),
    )
    .await
    .invalid();
    // A colon inside a name is fine.
    s.upload("dir/a:b.txt", b"ok").await;
    assert_eq!(s.get_at(&format!("{PROXY}/dir/a:b.txt")).await.bytes, b"ok");
}

#[tokio::test]
async fn a_deleted_directory_does_not_block_a_file_of_the_same_name() {
    let s = Server::new();
    s.upload("reuse/inner.txt", b"1").await;
    s.raw(
        Method::DELETE,
        &format!("{PROXY}/reuse"),
        None,
        Body::empty(),
    )
    .await
    .ok();
    s.upload("reuse", b"now a file").await;
    assert_eq!(
        s.get_at(&format!("{PROXY}/reuse")).await.bytes,
        b"now a file"
    );
    // The artifact root itself survives deleting everything in it.
    s.raw(
        Method::DELETE,
        &format!("{PROXY}/reuse"),
        None,
        Body::empty(),
    )
    .await
    .ok();
    assert!(s.artifact_root().is_dir());
    s.upload("again.txt", b"x").await;
}
