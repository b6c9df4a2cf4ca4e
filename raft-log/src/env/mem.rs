//! An in-memory file system with a fault model, for tests.
//!
//! Each file keeps two images: what has been written (`data`, what reads see)
//! and what has been made durable by `sync_data` (`durable`). A simulated crash
//! keeps only the durable images. Faults can be armed: the next `sync_data`
//! fails, writes beyond a byte quota fail with ENOSPC after writing the part
//! that fits (a torn write), and every write since a mark is logged so a test
//! can rebuild the disk cut at any byte of it. `sync_data` can be given a
//! latency, to model a real disk's fdatasync for group-commit tests.
//!
//! Directory operations (create, remove) are taken as durable at once; the
//! log syncs its directory anyway, and the interesting failures are in data.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::{Env, LogFile};

#[derive(Default)]
struct FileImage {
    data: Vec<u8>,
    durable: Vec<u8>,
}

/// One write as it reached the (simulated) disk, in order.
#[derive(Debug, Clone)]
pub struct WriteOp {
    /// File written.
    pub path: PathBuf,
    /// Offset of the first byte.
    pub offset: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Faults {
    crashed: bool,
    fail_next_sync: bool,
    /// Bytes that may still be written before ENOSPC; `None` is unlimited.
    space_left: Option<u64>,
    log: Option<Vec<WriteOp>>,
    /// How long every `sync_data` takes (a simulated device latency).
    sync_latency: Duration,
}

#[derive(Default)]
struct Disk {
    files: BTreeMap<PathBuf, Arc<Mutex<FileImage>>>,
    faults: Faults,
}

/// A whole disk image: file path → content.
pub type Image = BTreeMap<PathBuf, Vec<u8>>;

/// The in-memory, fault-injecting [`Env`]. Cloning shares the same disk.
#[derive(Clone, Default)]
pub struct MemEnv {
    disk: Arc<Mutex<Disk>>,
}

struct MemFile {
    path: PathBuf,
    image: Arc<Mutex<FileImage>>,
    disk: Arc<Mutex<Disk>>,
}

fn crashed_err() -> io::Error {
    io::Error::other("simulated crash: device gone")
}

impl MemEnv {
    /// An empty disk.
    pub fn new() -> Self {
        Self::default()
    }

    /// A disk holding `image` (every byte durable).
    pub fn from_image(image: &Image) -> Self {
        let env = Self::new();
        {
            let mut d = env.disk.lock();
            for (p, bytes) in image {
                let img = FileImage {
                    data: bytes.clone(),
                    durable: bytes.clone(),
                };
                d.files.insert(p.clone(), Arc::new(Mutex::new(img)));
            }
        }
        env
    }

    /// Everything written so far, synced or not.
    pub fn written_image(&self) -> Image {
        let d = self.disk.lock();
        d.files
            .iter()
            .map(|(p, f)| (p.clone(), f.lock().data.clone()))
            .collect()
    }

    /// What a crash right now would leave: only synced bytes.
    pub fn durable_image(&self) -> Image {
        let d = self.disk.lock();
        d.files
            .iter()
            .map(|(p, f)| (p.clone(), f.lock().durable.clone()))
            .collect()
    }

    /// Simulates power loss: from now on every call fails, and
    /// [`MemEnv::durable_image`] is what the next boot will see.
    pub fn crash(&self) {
        self.disk.lock().faults.crashed = true;
    }

    /// The next `sync_data` on any file fails with EIO.
    pub fn fail_next_sync(&self) {
        self.disk.lock().faults.fail_next_sync = true;
    }

    /// After `bytes` more bytes, writes fail with ENOSPC (the part that
    /// fits is written first, as a real disk filling up does).
    pub fn space_left(&self, bytes: u64) {
        self.disk.lock().faults.space_left = Some(bytes);
    }

    /// Every later `sync_data` takes `latency` (slept outside any lock, as a
    /// device would take it), like a real disk's fdatasync.
    pub fn set_sync_latency(&self, latency: Duration) {
        self.disk.lock().faults.sync_latency = latency;
    }

    /// Starts logging every write (clears an earlier log).
    pub fn start_write_log(&self) {
        self.disk.lock().faults.log = Some(Vec::new());
    }

    /// Stops logging and returns the writes since [`MemEnv::start_write_log`].
    pub fn take_write_log(&self) -> Vec<WriteOp> {
        self.disk.lock().faults.log.take().unwrap_or_default()
    }

    /// Total bytes of all files (what `du` would say).
    pub fn used_bytes(&self) -> u64 {
        let d = self.disk.lock();
        d.files.values().map(|f| f.lock().data.len() as u64).sum()
    }
}

/// Applies the first `cut` bytes of `ops` on top of `base` (a torn write at
/// byte `cut`).
pub fn apply_prefix(base: &Image, ops: &[WriteOp], mut cut: usize) -> Image {
    let mut img = base.clone();
    for op in ops {
        if cut == 0 {
            break;
        }
        let n = op.bytes.len().min(cut);
        cut -= n;
        let f = img.entry(op.path.clone()).or_default();
        let off = op.offset as usize;
        if f.len() < off + n {
            f.resize(off + n, 0);
        }
        f[off..off + n].copy_from_slice(&op.bytes[..n]);
    }
    img
}

impl LogFile for MemFile {
    fn size(&self) -> io::Result<u64> {
        if self.disk.lock().faults.crashed {
            return Err(crashed_err());
        }
        Ok(self.image.lock().data.len() as u64)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let img = self.image.lock();
        let off = offset as usize;
        if off + buf.len() > img.data.len() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
        }
        buf.copy_from_slice(&img.data[off..off + buf.len()]);
        Ok(())
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut d = self.disk.lock();
        if d.faults.crashed {
            return Err(crashed_err());
        }
        let (n, enospc) = match d.faults.space_left {
            Some(left) if (buf.len() as u64) > left => (left as usize, true),
            Some(left) => {
                d.faults.space_left = Some(left - buf.len() as u64);
                (buf.len(), false)
            }
            None => (buf.len(), false),
        };
        if enospc {
            d.faults.space_left = Some(0);
        }
        if let Some(log) = d.faults.log.as_mut() {
            log.push(WriteOp {
                path: self.path.clone(),
                offset,
                bytes: buf[..n].to_vec(),
            });
        }
        let mut img = self.image.lock();
        let off = offset as usize;
        if img.data.len() < off + n {
            img.data.resize(off + n, 0);
        }
        img.data[off..off + n].copy_from_slice(&buf[..n]);
        if enospc {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let latency = self.disk.lock().faults.sync_latency;
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        let mut d = self.disk.lock();
        if d.faults.crashed {
            return Err(crashed_err());
        }
        if std::mem::take(&mut d.faults.fail_next_sync) {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        let mut img = self.image.lock();
        img.durable = img.data.clone();
        Ok(())
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        if self.disk.lock().faults.crashed {
            return Err(crashed_err());
        }
        let mut img = self.image.lock();
        img.data.truncate(len as usize);
        // A truncate is metadata; treat it as durable with the next sync
        // only for data, but never leave durable longer than data.
        let keep = img.durable.len().min(len as usize);
        img.durable.truncate(keep);
        Ok(())
    }
}

impl Env for MemEnv {
    fn create_dir_all(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let d = self.disk.lock();
        if d.faults.crashed {
            return Err(crashed_err());
        }
        Ok(d.files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect())
    }

    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn LogFile>> {
        let mut d = self.disk.lock();
        if d.faults.crashed {
            return Err(crashed_err());
        }
        let image = match d.files.get(path) {
            Some(f) => f.clone(),
            None if create => {
                let f = Arc::new(Mutex::new(FileImage::default()));
                d.files.insert(path.to_path_buf(), f.clone());
                f
            }
            None => return Err(io::Error::from(io::ErrorKind::NotFound)),
        };
        Ok(Arc::new(MemFile {
            path: path.to_path_buf(),
            image,
            disk: self.disk.clone(),
        }))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut d = self.disk.lock();
        if d.faults.crashed {
            return Err(crashed_err());
        }
        d.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        if self.disk.lock().faults.crashed {
            return Err(crashed_err());
        }
        Ok(())
    }
}
