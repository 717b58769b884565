//! Artifact storage for Cairn, over the `object_store` crate.
//!
//! [`ArtifactRepo`] is the one abstraction the server uses for artifact
//! bytes: put (streamed), get (streamed), list one directory level, delete.
//! It takes only [`ArtifactPath`]s, which cannot escape the repository root,
//! and it is backed by any `object_store` implementation — the local
//! filesystem today; S3, Azure Blob and GCS are a feature flag away.
//! Errors are `cairn_core::Error`s with MLflow codes, so the HTTP edge maps
//! them like every other failure.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use cairn_core::artifact_path::ArtifactPath;
use cairn_core::{Error, ErrorCode, FileInfo, Result};
use futures::stream::{BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

/// A byte stream read from the repository.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A downloaded artifact: its size and its bytes.
pub struct Download {
    /// Size in bytes.
    pub size: u64,
    /// The content.
    pub stream: ByteStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// An artifact repository rooted somewhere in an object store.
#[derive(Clone)]
pub struct ArtifactRepo {
    store: Arc<dyn ObjectStore>,
    description: String,
    /// The root directory when the store is the local filesystem.
    local_root: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for ArtifactRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactRepo")
            .field("root", &self.description)
            .finish()
    }
}

fn backend_err(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { path, .. } => {
            Error::not_found(format!("Artifact '{path}' does not exist"))
        }
        other => Error::internal(format!("artifact storage error: {other}")),
    }
}

/// Longest stored name of one path segment, in bytes, after object_store's
/// percent-encoding. Common filesystems refuse names over 255 bytes, and the
/// local store writes uploads to a `<name>#<n>` temporary file first, so a
/// few bytes are kept free for that suffix.
const MAX_STORED_SEGMENT_BYTES: usize = 240;

/// The object-store location of `path`, refused with INVALID_PARAMETER_VALUE
/// when a segment would be too long for the filesystem (a client error, not
/// the storage failure it would otherwise surface as).
fn store_path(path: &ArtifactPath) -> Result<StorePath> {
    let location = StorePath::from_iter(path.segments().iter().map(String::as_str));
    if let Some(part) = location
        .parts()
        .find(|part| part.as_ref().len() > MAX_STORED_SEGMENT_BYTES)
    {
        let shown: String = decode_part(part.as_ref()).chars().take(40).collect();
        return Err(Error::invalid(format!(
            "Invalid artifact path: the name '{shown}…' is too long (at most \
             {MAX_STORED_SEGMENT_BYTES} bytes per path segment once stored)"
        )));
    }
    Ok(location)
}

impl ArtifactRepo {
    /// A repository on the local filesystem rooted at `root` (created if missing).
    pub fn local(root: impl AsRef<FsPath>) -> Result<ArtifactRepo> {
        let root = root.as_ref();
        std::fs::create_dir_all(root).map_err(|e| {
            Error::internal(format!(
                "cannot create artifact root {}: {e}",
                root.display()
            ))
        })?;
        let root = root.canonicalize().map_err(|e| {
            Error::internal(format!(
                "cannot resolve artifact root {}: {e}",
                root.display()
            ))
        })?;
        // Automatic cleanup removes directories emptied by deletes, so a
        // deleted directory does not block a later file of the same name.
        let fs = LocalFileSystem::new_with_prefix(&root)
            .map_err(backend_err)?
            .with_automatic_cleanup(true);
        Ok(ArtifactRepo {
            store: Arc::new(fs),
            description: root.display().to_string(),
            local_root: Some(root),
        })
    }

    /// A repository over any object store (S3, Azure, GCS, in-memory).
    pub fn from_store(store: Arc<dyn ObjectStore>, description: impl Into<String>) -> ArtifactRepo {
        ArtifactRepo {
            store,
            description: description.into(),
            local_root: None,
        }
    }

    /// Where the repository lives, for logs.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Store `body` at `path`, streaming it in parts; returns the bytes written.
    /// Fails without leaving a partial file if the stream fails or exceeds `max_bytes`.
    pub async fn put_stream<S, E>(
        &self,
        path: &ArtifactPath,
        body: S,
        max_bytes: u64,
    ) -> Result<u64>
    where
        S: futures::Stream<Item = std::result::Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        if path.is_root() {
            return Err(Error::invalid(
                "An artifact upload needs a file path, not the root",
            ));
        }
        match self.upload(path, body, max_bytes).await {
            Err(e) if e.code() == ErrorCode::InternalError => {
                Err(self.conflict(path).await.unwrap_or(e))
            }
            other => other,
        }
    }

    /// The client-caused reason an upload to `path` failed, if there is one:
    /// a parent of `path` is a file, or `path` is a directory (filesystem
    /// backends cannot store both and report it as a generic I/O failure),
    /// or a name the backend cannot represent.
    async fn conflict(&self, path: &ArtifactPath) -> Option<Error> {
        // object_store's local backend maps a last segment ending in ':' to a
        // directory path ("a:" -> "a:/"), so such a file cannot be written.
        if path.file_name().is_some_and(|n| n.ends_with(':')) {
            return Some(Error::invalid(format!(
                "Cannot store artifact '{path}': file names ending in ':' are not supported"
            )));
        }
        let segments = path.segments();
        for n in 1..segments.len() {
            let ancestor = StorePath::from_iter(segments[..n].iter().map(String::as_str));
            if self.store.head(&ancestor).await.is_ok() {
                return Some(Error::invalid(format!(
                    "Cannot store artifact '{path}': '{}' is a file",
                    segments[..n].join("/")
                )));
            }
        }
        let is_dir = match &self.local_root {
            // Also catches directories that hold no listable objects.
            Some(root) => segments
                .iter()
                .fold(root.clone(), |p, s| p.join(s))
                .is_dir(),
            None => false,
        };
        let listing = self
            .store
            .list_with_delimiter(Some(&store_path(path).ok()?))
            .await
            .ok()?;
        (is_dir || !listing.objects.is_empty() || !listing.common_prefixes.is_empty())
            .then(|| Error::invalid(format!("Cannot store artifact '{path}': it is a directory")))
    }

    async fn upload<S, E>(&self, path: &ArtifactPath, mut body: S, max_bytes: u64) -> Result<u64>
    where
        S: futures::Stream<Item = std::result::Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let upload = self
            .store
            .put_multipart(&store_path(path)?)
            .await
            .map_err(backend_err)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::invalid(format!(
                        "Artifact upload of '{path}' was interrupted: {e}"
                    )));
                }
            };
            written += chunk.len() as u64;
            if written > max_bytes {
                let _ = writer.abort().await;
                return Err(Error::invalid(format!(
                    "Artifact '{path}' exceeds the upload limit of {max_bytes} bytes"
                )));
            }
            writer.wait_for_capacity(4).await.map_err(backend_err)?;
            writer.put(chunk);
        }
        writer.finish().await.map_err(backend_err)?;
        Ok(written)
    }

    /// Store a small artifact in one piece.
    pub async fn put_bytes(&self, path: &ArtifactPath, bytes: Bytes) -> Result<()> {
        if path.is_root() {
            return Err(Error::invalid(
                "An artifact upload needs a file path, not the root",
            ));
        }
        self.store
            .put(&store_path(path)?, PutPayload::from(bytes))
            .await
            .map_err(backend_err)?;
        Ok(())
    }

    /// Open the artifact at `path` for streaming.
    pub async fn get(&self, path: &ArtifactPath) -> Result<Download> {
        if path.is_root() {
            return Err(Error::invalid("Cannot download a directory; name a file"));
        }
        let result = self
            .store
            .get(&store_path(path)?)
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    Error::not_found(format!("Artifact '{path}' does not exist"))
                }
                other => backend_err(other),
            })?;
        let size = result.meta.size;
        let stream = result.into_stream().map(|r| r.map_err(backend_err)).boxed();
        Ok(Download { size, stream })
    }

    /// One directory level under `dir`: sub-directories and files, with
    /// paths relative to `dir` (i.e. basenames), sorted by path.
    pub async fn list(&self, dir: &ArtifactPath) -> Result<Vec<FileInfo>> {
        let prefix = store_path(dir)?;
        let prefix_opt = if dir.is_root() { None } else { Some(&prefix) };
        let listing = self
            .store
            .list_with_delimiter(prefix_opt)
            .await
            .map_err(backend_err)?;
        let mut files: Vec<FileInfo> = Vec::new();
        for p in listing.common_prefixes {
            if let Some(name) = p.filename() {
                files.push(FileInfo {
                    path: decode_part(name),
                    is_dir: true,
                    file_size: None,
                });
            }
        }
        for meta in listing.objects {
            if let Some(name) = meta.location.filename() {
                files.push(FileInfo {
                    path: decode_part(name),
                    is_dir: false,
                    file_size: Some(meta.size),
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Delete the file at `path`, or everything under it if it is a directory.
    pub async fn delete(&self, path: &ArtifactPath) -> Result<()> {
        let location = store_path(path)?;
        match self.store.head(&location).await {
            Ok(_) => return self.store.delete(&location).await.map_err(backend_err),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(backend_err(e)),
        }
        let mut children = self.store.list(if path.is_root() {
            None
        } else {
            Some(&location)
        });
        let mut found = false;
        while let Some(meta) = children.next().await {
            let meta = meta.map_err(backend_err)?;
            self.store
                .delete(&meta.location)
                .await
                .map_err(backend_err)?;
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "Artifact '{path}' does not exist"
            )))
        }
    }
}

/// object_store percent-encodes some characters inside path parts; show the
/// names users wrote.
fn decode_part(part: &str) -> String {
    percent_encoding::percent_decode_str(part)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, ArtifactRepo) {
        let dir = tempfile::tempdir().unwrap();
        let repo = ArtifactRepo::local(dir.path()).unwrap();
        (dir, repo)
    }

    #[tokio::test]
    async fn overlong_names_are_client_errors_and_store_nothing() {
        let (dir, repo) = repo();
        // 120 two-byte characters: 240 bytes raw, longer once percent-encoded.
        let long = "é".repeat(120);
        for raw in [
            format!("{long}.txt"),
            format!("dir/{}/f.txt", "d".repeat(300)),
        ] {
            let path = ArtifactPath::parse(&raw).unwrap();
            let err = repo
                .put_bytes(&path, Bytes::from_static(b"x"))
                .await
                .unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidParameterValue, "{err}");
            assert!(err.to_string().contains("too long"), "{err}");
            let err = repo.get(&path).await.err().unwrap();
            assert_eq!(err.code(), ErrorCode::InvalidParameterValue, "{err}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn names_up_to_the_limit_round_trip() {
        let (_dir, repo) = repo();
        let path = ArtifactPath::parse(&"n".repeat(MAX_STORED_SEGMENT_BYTES)).unwrap();
        repo.put_bytes(&path, Bytes::from_static(b"payload"))
            .await
            .unwrap();
        let listed = repo.list(&ArtifactPath::parse("").unwrap()).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].path.len(), MAX_STORED_SEGMENT_BYTES);
    }
}
