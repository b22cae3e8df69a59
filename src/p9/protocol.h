/* SPDX-License-Identifier: MIT */
/*
 * 9P2000.L on the wire: message types and the constants inside messages.
 *
 * Every message is size[4] type[1] tag[2] and then its fields, all little
 * endian; a string is len[2] and that many bytes (no NUL); a qid is
 * type[1] version[4] path[8]. The numbers are the protocol's (the 9P2000
 * manual's section 5, and the ".L" additions as Linux's net/9p sends them);
 * tests and the fuzzer build messages with them too.
 */
#ifndef MINIKVM_P9_PROTOCOL_H
#define MINIKVM_P9_PROTOCOL_H

/* Requests; the reply to T is T + 1 (or Rlerror). */
enum {
	P9_TLERROR      = 6,   /* not a request: Rlerror's pair */
	P9_RLERROR      = 7,   /* ecode[4] (a Linux errno) */
	P9_TSTATFS      = 8,
	P9_TLOPEN       = 12,
	P9_TLCREATE     = 14,
	P9_TSYMLINK     = 16,
	P9_TMKNOD       = 18,
	P9_TRENAME      = 20,
	P9_TREADLINK    = 22,
	P9_TGETATTR     = 24,
	P9_TSETATTR     = 26,
	P9_TXATTRWALK   = 30,
	P9_TXATTRCREATE = 32,
	P9_TREADDIR     = 40,
	P9_TFSYNC       = 50,
	P9_TLOCK        = 52,
	P9_TGETLOCK     = 54,
	P9_TLINK        = 70,
	P9_TMKDIR       = 72,
	P9_TRENAMEAT    = 74,
	P9_TUNLINKAT    = 76,
	P9_TVERSION     = 100,
	P9_TAUTH        = 102,
	P9_TATTACH      = 104,
	P9_TFLUSH       = 108,
	P9_TWALK        = 110,
	P9_TOPEN        = 112, /* 9P2000 only: not served */
	P9_TCREATE      = 114, /* 9P2000 only: not served */
	P9_TREAD        = 116,
	P9_TWRITE       = 118,
	P9_TCLUNK       = 120,
	P9_TREMOVE      = 122,
	P9_TSTAT        = 124, /* 9P2000 only: not served */
	P9_TWSTAT       = 126, /* 9P2000 only: not served */
};

#define P9_HEADER_SIZE 7           /* size[4] type[1] tag[2] */
#define P9_NOTAG       0xFFFFu
#define P9_NOFID       0xFFFFFFFFu
#define P9_MAXWELEM    16          /* names in one Twalk */
#define P9_QID_SIZE    13
#define P9_VERSION_L   "9P2000.L"

/* qid.type: the high byte of a Plan 9 mode. */
enum {
	P9_QTDIR     = 0x80,
	P9_QTSYMLINK = 0x02,
	P9_QTFILE    = 0x00,
};

/* Tlopen and Tlcreate flags: Linux's generic open flags, named by the protocol. */
enum {
	P9_DOTL_RDONLY    = 00000000,
	P9_DOTL_WRONLY    = 00000001,
	P9_DOTL_RDWR      = 00000002,
	P9_DOTL_ACCMODE   = 00000003,
	P9_DOTL_CREATE    = 00000100,
	P9_DOTL_EXCL      = 00000200,
	P9_DOTL_NOCTTY    = 00000400,
	P9_DOTL_TRUNC     = 00001000,
	P9_DOTL_APPEND    = 00002000,
	P9_DOTL_NONBLOCK  = 00004000,
	P9_DOTL_DSYNC     = 00010000,
	P9_DOTL_FASYNC    = 00020000,
	P9_DOTL_DIRECT    = 00040000,
	P9_DOTL_LARGEFILE = 00100000,
	P9_DOTL_DIRECTORY = 00200000,
	P9_DOTL_NOFOLLOW  = 00400000,
	P9_DOTL_NOATIME   = 01000000,
	P9_DOTL_CLOEXEC   = 02000000,
	P9_DOTL_SYNC      = 04000000,
};

/* Tunlinkat flags. */
#define P9_DOTL_AT_REMOVEDIR 0x200

/* Tgetattr request_mask and Rgetattr valid. */
#define P9_GETATTR_BASIC 0x000007FFull /* mode nlink uid gid rdev atime mtime ctime ino size blocks */
#define P9_GETATTR_ALL   0x00003FFFull

/* Tsetattr valid. */
enum {
	P9_SETATTR_MODE      = 0x001,
	P9_SETATTR_UID       = 0x002,
	P9_SETATTR_GID       = 0x004,
	P9_SETATTR_SIZE      = 0x008,
	P9_SETATTR_ATIME     = 0x010,
	P9_SETATTR_MTIME     = 0x020,
	P9_SETATTR_CTIME     = 0x040,
	P9_SETATTR_ATIME_SET = 0x080, /* atime from the message, else now */
	P9_SETATTR_MTIME_SET = 0x100,
};

/* Tlock / Tgetlock. */
enum {
	P9_LOCK_TYPE_RDLCK = 0,
	P9_LOCK_TYPE_WRLCK = 1,
	P9_LOCK_TYPE_UNLCK = 2,
	P9_LOCK_SUCCESS    = 0,
	P9_LOCK_BLOCKED    = 1,
	P9_LOCK_ERROR      = 2,
	P9_LOCK_GRACE      = 3,
};

#endif
