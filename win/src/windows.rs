//! The calls (Windows only).

use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, FromRawHandle as _, OwnedHandle};
use std::ptr::null_mut;

use crate::{Ace, Security, Sid};

use windows_sys::Win32::Foundation::{ERROR_SUCCESS, FALSE, HLOCAL, LocalFree, TRUE};
use windows_sys::Win32::Security::Authorization::{GetSecurityInfo, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_REVISION, ACL_SIZE_INFORMATION, AclSizeInformation,
    AddAccessAllowedAceEx, CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION, GetAce,
    GetAclInformation, GetLengthSid, GetTokenInformation, INHERIT_ONLY_ACE, InitializeAcl,
    InitializeSecurityDescriptor, OBJECT_INHERIT_ACE, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SE_DACL_PROTECTED,
    SECURITY_DESCRIPTOR, SetKernelObjectSecurity, SetSecurityDescriptorControl,
    SetSecurityDescriptorDacl, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{FILE_ALL_ACCESS, FILE_TYPE_CHAR, GetFileType};
use windows_sys::Win32::System::Console::{
    CONSOLE_MODE, CTRL_BREAK_EVENT, CTRL_C_EVENT, ENABLE_ECHO_INPUT, GetConsoleMode,
    SetConsoleCtrlHandler, SetConsoleMode,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, SECURITY_DESCRIPTOR_REVISION,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

fn os_error(code: u32) -> io::Error {
    io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX))
}

/// Copies the SID at `p`.
///
/// # Safety
/// `p` must point to a valid SID that stays alive during the call.
unsafe fn copy_sid(p: PSID) -> Sid {
    // SAFETY: the caller promises a valid SID.
    let len = unsafe { GetLengthSid(p) } as usize;
    // SAFETY: a valid SID is `GetLengthSid` bytes long.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    Sid(bytes.to_vec())
}

/// The SID of the user this process runs as.
pub fn current_user() -> io::Result<Sid> {
    let mut raw = null_mut();
    // SAFETY: no arguments; the pseudo handle it returns needs no closing.
    let process = unsafe { GetCurrentProcess() };
    // SAFETY: `process` is valid for the life of the process; `raw` is a valid out pointer.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &raw mut raw) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: OpenProcessToken succeeded, so `raw` is a handle we own and must close.
    let token = unsafe { OwnedHandle::from_raw_handle(raw) };
    let mut len = 0u32;
    // SAFETY: a size query: no buffer, `len` is a valid out pointer. It fails with
    // ERROR_INSUFFICIENT_BUFFER and sets `len`, which is all we want from it.
    unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenUser,
            null_mut(),
            0,
            &raw mut len,
        )
    };
    if (len as usize) < size_of::<TOKEN_USER>() {
        return Err(io::Error::last_os_error());
    }
    // u64 elements: aligned for TOKEN_USER (pointer-aligned).
    let mut buf = vec![0u64; (len as usize).div_ceil(8)];
    // SAFETY: `buf` is writable for at least `len` bytes; `len` is a valid out pointer.
    let ok = unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenUser,
            buf.as_mut_ptr().cast(),
            len,
            &raw mut len,
        )
    };
    if ok == FALSE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER, suitably aligned (u64s).
    let user = unsafe { &*buf.as_ptr().cast::<TOKEN_USER>() };
    // SAFETY: its SID points into `buf`, which is alive.
    Ok(unsafe { copy_sid(user.User.Sid) })
}

/// Frees a security descriptor that the system allocated, when dropped.
struct LocalBox(PSECURITY_DESCRIPTOR);

impl Drop for LocalBox {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from GetSecurityInfo, which says to free it with
            // LocalFree, and it is freed once.
            unsafe { LocalFree(self.0 as HLOCAL) };
        }
    }
}

/// The owner and DACL of an open file or directory (the handle needs `READ_CONTROL`,
/// which any handle opened for reading has).
pub fn security(handle: BorrowedHandle<'_>) -> io::Result<Security> {
    let mut owner: PSID = null_mut();
    let mut dacl: *mut ACL = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: `handle` is a live handle; the out pointers are valid; the group and SACL
    // are not asked for.
    let rc = unsafe {
        GetSecurityInfo(
            handle.as_raw_handle(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &raw mut owner,
            null_mut(),
            &raw mut dacl,
            null_mut(),
            &raw mut sd,
        )
    };
    if rc != ERROR_SUCCESS {
        return Err(os_error(rc));
    }
    let sd = LocalBox(sd);
    let owner = if owner.is_null() {
        None
    } else {
        // SAFETY: `owner` points into `sd`, which is alive until the end of this function.
        Some(unsafe { copy_sid(owner) })
    };
    let dacl = if dacl.is_null() {
        None
    } else {
        // SAFETY: `dacl` points into `sd`, alive until the end of this function.
        Some(unsafe { aces(dacl) }?)
    };
    drop(sd);
    Ok(Security { owner, dacl })
}

/// The entries of a DACL.
///
/// # Safety
/// `dacl` must point to a valid ACL that stays alive during the call.
unsafe fn aces(dacl: *const ACL) -> io::Result<Vec<Ace>> {
    let mut info = ACL_SIZE_INFORMATION {
        AceCount: 0,
        AclBytesInUse: 0,
        AclBytesFree: 0,
    };
    // SAFETY: `dacl` is valid (caller); `info` is writable and of the size given.
    let ok = unsafe {
        GetAclInformation(
            dacl,
            (&raw mut info).cast(),
            u32::try_from(size_of::<ACL_SIZE_INFORMATION>()).unwrap_or(u32::MAX),
            AclSizeInformation,
        )
    };
    if ok == FALSE {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::with_capacity(info.AceCount as usize);
    for i in 0..info.AceCount {
        let mut ace = null_mut();
        // SAFETY: `i` is below the entry count; `ace` is a valid out pointer.
        if unsafe { GetAce(dacl, i, &raw mut ace) } == FALSE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: every entry starts with an ACE_HEADER.
        let header = unsafe { &*ace.cast::<ACE_HEADER>() };
        let kind = u32::from(header.AceType);
        if kind != ACCESS_ALLOWED_ACE_TYPE && kind != ACCESS_DENIED_ACE_TYPE {
            out.push(Ace::Other(header.AceType));
            continue;
        }
        // Allowed and denied entries share the ACCESS_ALLOWED_ACE layout: header, mask, then
        // the SID, which runs past the struct's declared 12 bytes to the entry's `AceSize`.
        // So the SID is reached through a raw pointer derived from `ace` (whose provenance
        // covers the whole entry), never through a `&ACCESS_ALLOWED_ACE`, which would cover
        // 12 bytes only (undefined behaviour under Stacked Borrows to read past them).
        let sid_at = std::mem::offset_of!(ACCESS_ALLOWED_ACE, SidStart);
        if usize::from(header.AceSize) < sid_at + 8 {
            // Too short to hold a SID: judged like an entry type we do not know (refused).
            out.push(Ace::Other(header.AceType));
            continue;
        }
        let mask_at = std::mem::offset_of!(ACCESS_ALLOWED_ACE, Mask);
        // SAFETY: the mask lies within the entry (before the SID, checked above).
        let mask_ptr = unsafe { ace.cast::<u8>().add(mask_at) };
        // SAFETY: four readable bytes; an unaligned read needs no alignment.
        let mask = unsafe { mask_ptr.cast::<u32>().read_unaligned() };
        // SAFETY: `sid_at` is within the entry (checked above).
        let sid_ptr = unsafe { ace.cast::<u8>().add(sid_at) };
        // SAFETY: a valid entry holds a valid SID at `SidStart`, within `AceSize`.
        let sid = unsafe { copy_sid(sid_ptr.cast()) };
        out.push(if kind == ACCESS_ALLOWED_ACE_TYPE {
            Ace::Allow {
                sid,
                mask,
                inherit_only: u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0,
            }
        } else {
            Ace::Deny { sid, mask }
        });
    }
    Ok(out)
}

/// Gives `handle`'s file or directory a protected DACL with one entry: full control for
/// `user` (inherited by files and sub-directories when `directory`). The handle needs
/// `WRITE_DAC`. What `icacls <path> /inheritance:r /grant:r <user>:F` does.
pub fn set_private(handle: BorrowedHandle<'_>, user: &Sid, directory: bool) -> io::Result<()> {
    let flags = if directory {
        OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
    } else {
        0
    };
    set_dacl(handle, &[(user, FILE_ALL_ACCESS, flags)])
}

/// Gives `handle`'s file or directory a protected DACL of these allow entries (who, rights,
/// ACE flags), in order. The handle needs `WRITE_DAC`.
pub fn set_dacl(handle: BorrowedHandle<'_>, entries: &[(&Sid, u32, u32)]) -> io::Result<()> {
    // A SID's length must match its sub-authority count: the system reads that many.
    if entries.iter().any(|(sid, _, _)| !sid.is_well_formed()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a malformed SID",
        ));
    }
    // ACL header + per entry an ACCESS_ALLOWED_ACE (whose SidStart is the SID's first 4
    // bytes) and the SID, in u32s (ACLs are DWORD-aligned).
    let bytes = size_of::<ACL>()
        + entries
            .iter()
            .map(|(sid, _, _)| size_of::<ACCESS_ALLOWED_ACE>() + sid.0.len().next_multiple_of(4))
            .sum::<usize>();
    let mut buf = vec![0u32; bytes.div_ceil(4)];
    let len = u32::try_from(buf.len() * 4).map_err(|_| io::Error::other("ACL too large"))?;
    let acl = buf.as_mut_ptr().cast::<ACL>();
    // SAFETY: `buf` is writable, DWORD-aligned and `len` bytes long.
    if unsafe { InitializeAcl(acl, len, ACL_REVISION) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    for (user, mask, flags) in entries {
        let mut sid = user.0.clone();
        // SAFETY: `acl` was initialised with room for every entry; `sid` holds a SID (from
        // the system, or well-formed by the caller) and is only read.
        let ok = unsafe {
            AddAccessAllowedAceEx(acl, ACL_REVISION, *flags, *mask, sid.as_mut_ptr().cast())
        };
        if ok == FALSE {
            return Err(io::Error::last_os_error());
        }
    }
    // An absolute descriptor with only this DACL, marked protected (nothing inherited).
    // SetKernelObjectSecurity sets it as given; SetSecurityInfo would re-apply inheritance
    // from the parent (and Wine mishandles it, making files world-writable).
    let mut sd = SECURITY_DESCRIPTOR {
        Revision: 0,
        Sbz1: 0,
        Control: 0,
        Owner: null_mut(),
        Group: null_mut(),
        Sacl: null_mut(),
        Dacl: null_mut(),
    };
    let psd: PSECURITY_DESCRIPTOR = (&raw mut sd).cast();
    // SAFETY: `psd` points to a writable SECURITY_DESCRIPTOR.
    if unsafe { InitializeSecurityDescriptor(psd, SECURITY_DESCRIPTOR_REVISION) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `psd` is initialised; `acl` (in `buf`) outlives every use of `sd`.
    if unsafe { SetSecurityDescriptorDacl(psd, TRUE, acl, FALSE) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `psd` is initialised; only the protected bit is touched.
    if unsafe { SetSecurityDescriptorControl(psd, SE_DACL_PROTECTED, SE_DACL_PROTECTED) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `handle` is live; `psd` is a valid descriptor whose DACL is alive.
    let ok = unsafe {
        SetKernelObjectSecurity(
            handle.as_raw_handle(),
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            psd,
        )
    };
    if ok == FALSE {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Turns console echo of the input `handle` off (`false`) or back on; returns the mode
/// before, or an error when `handle` is not a console.
pub fn set_echo(handle: BorrowedHandle<'_>, on: bool) -> io::Result<u32> {
    let mut mode: CONSOLE_MODE = 0;
    // SAFETY: `handle` is live; `mode` is a valid out pointer.
    if unsafe { GetConsoleMode(handle.as_raw_handle(), &raw mut mode) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    let new = if on {
        mode | ENABLE_ECHO_INPUT
    } else {
        mode & !ENABLE_ECHO_INPUT
    };
    set_console_mode(handle, new)?;
    Ok(mode)
}

/// Sets the console mode of `handle` (to restore what [`set_echo`] returned).
pub fn set_console_mode(handle: BorrowedHandle<'_>, mode: u32) -> io::Result<()> {
    // SAFETY: `handle` is live; the mode is a plain value.
    if unsafe { SetConsoleMode(handle.as_raw_handle(), mode) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Handles Ctrl-C and Ctrl-Break by doing nothing (so the process lives on); other events
/// (close, logoff, shutdown) go to the next handler.
unsafe extern "system" fn swallow(event: u32) -> windows_sys::core::BOOL {
    if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
        TRUE
    } else {
        FALSE
    }
}

/// While `on`, Ctrl-C and Ctrl-Break in the console do not end this process (they still
/// reach every other process of the console, such as a child). Unlike
/// `SetConsoleCtrlHandler(NULL, TRUE)`, this is not inherited by children.
pub fn swallow_console_interrupts(on: bool) -> io::Result<()> {
    // SAFETY: `swallow` is a valid handler for the life of the process.
    if unsafe { SetConsoleCtrlHandler(Some(swallow), if on { TRUE } else { FALSE }) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `handle` is a character device that is not a console: `NUL` (or a serial port),
/// where writes vanish.
#[must_use]
pub fn is_null_device(handle: BorrowedHandle<'_>) -> bool {
    // SAFETY: `handle` is live.
    let kind = unsafe { GetFileType(handle.as_raw_handle()) };
    if kind != FILE_TYPE_CHAR {
        return false;
    }
    let mut mode: CONSOLE_MODE = 0;
    // SAFETY: `handle` is live; `mode` is a valid out pointer.
    unsafe { GetConsoleMode(handle.as_raw_handle(), &raw mut mode) == FALSE }
}
