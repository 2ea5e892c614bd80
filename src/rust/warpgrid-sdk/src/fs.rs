//! Virtual files served by the host through `warpgrid:shim/filesystem`
//! (/etc/resolv.conf, /etc/hosts, /proc/self/*, /usr/share/zoneinfo/**).

use std::io;

use crate::bindings::warpgrid::shim::filesystem as wit;

/// The whole content of a virtual file, or `None` when `path` is not virtual.
pub fn read_virtual(path: &str) -> Option<Vec<u8>> {
    wit::read_virtual(path)
}

/// Whether `path` names a virtual file.
pub fn is_virtual(path: &str) -> bool {
    wit::is_virtual(path)
}

/// Every virtual path (zoneinfo is listed as its directory prefix).
pub fn list_virtual_paths() -> Vec<String> {
    wit::list_virtual_paths()
}

/// Reads `path` from the virtual files, falling back to the WASI filesystem, like the
/// patched libc of the C path does: programs get one `read` for both kinds of file.
pub fn read(path: &str) -> io::Result<Vec<u8>> {
    match read_virtual(path) {
        Some(bytes) => Ok(bytes),
        None => std::fs::read(path),
    }
}

/// [`read`] as UTF-8 text.
pub fn read_to_string(path: &str) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
