#ifndef WHET_CSANDBOX_H
#define WHET_CSANDBOX_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What `whet_spawn` sets up for the child before it executes `executable`.
///
/// Every string and array is prepared by the caller before the fork: between `fork` and
/// `execve` the child makes system calls only (no allocation, no locks).
typedef struct whet_spawn_config {
  /// Path of the program to execute, and its NULL-terminated argv and envp.
  const char *executable;
  char *const *argv;
  char *const *envp;
  /// `child_fds[i]` (a descriptor of the caller) becomes descriptor `i` of the child, for
  /// `i < child_fd_count`; every other descriptor is closed in the child.
  const int *child_fds;
  int child_fd_count;

  /// 1: new mount, PID, network, IPC, UTS and cgroup namespaces (and a user namespace when
  /// not root); the root file system is remounted read-only, recursively; private tmpfs
  /// mounts of `tmpfs_bytes` cover /tmp and /dev/shm; a fresh /proc shows only the run's own
  /// processes; `hidden_paths` are covered by empty read-only tmpfs mounts.
  /// 0: none of that (only the process group, descriptors, limits and uid below).
  int isolate;
  long long tmpfs_bytes;
  /// NULL-terminated list of directories to hide (missing ones are skipped), or NULL.
  const char *const *hidden_paths;
  /// NULL-terminated list of `cgroup.procs` files the child joins before anything else, or NULL.
  const char *const *cgroup_procs;
  /// Directory to change into just before executing (inside the namespaces), or NULL.
  const char *workdir;

  /// Resource limits set just before executing; values <= 0 leave a limit as it is.
  long long limit_cpu_seconds;
  long long limit_address_space;
  long long limit_processes;
  long long limit_file_size;
  long long limit_open_files;

  /// When the caller is root (and `uid >= 0`): the uid and gid the program runs as, with no
  /// supplementary groups. `no_new_privs` forbids regaining privileges through set-uid files.
  int uid;
  int gid;
} whet_spawn_config;

/// Which setup step failed in the child (reported through a close-on-exec pipe).
enum whet_spawn_stage {
  WHET_STAGE_NONE = 0,
  WHET_STAGE_FORK = 1,
  WHET_STAGE_DESCRIPTORS = 2,
  WHET_STAGE_CGROUP = 3,
  WHET_STAGE_USER_NAMESPACE = 4,
  WHET_STAGE_NAMESPACES = 5,
  WHET_STAGE_MOUNT_PRIVATE = 6,
  WHET_STAGE_MOUNT_HIDE = 7,
  WHET_STAGE_MOUNT_READONLY = 8,
  WHET_STAGE_MOUNT_TMP = 9,
  WHET_STAGE_MOUNT_PROC = 10,
  WHET_STAGE_WORKDIR = 11,
  WHET_STAGE_LIMITS = 12,
  WHET_STAGE_CREDENTIALS = 13,
  WHET_STAGE_EXEC = 14,
};

/// Starts `config->executable` as described above, in a new process group whose id is the
/// returned pid. With `isolate`, the returned process waits for the namespace's init, which
/// waits for the program; its exit status is the program's (128 + n for a program killed by
/// signal n), and when it ends every process of the namespace is killed.
///
/// Returns the pid, or -1 with `*stage` and `*error` (an errno value) saying what failed.
pid_t whet_spawn(const whet_spawn_config *config, int *stage, int *error);

/// A pipe whose two ends are close-on-exec from the start (`pipe2(O_CLOEXEC)` on Linux).
/// Returns 0, or -1 with errno set.
int whet_pipe_cloexec(int fds[2]);

#ifdef __cplusplus
}
#endif

#endif
