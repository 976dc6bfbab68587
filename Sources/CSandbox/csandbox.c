// Process start-up for the code sandbox: namespaces, mounts, cgroups, limits, credentials.
// Between fork and execve only system calls are made (the caller is multi-threaded).
#define _GNU_SOURCE
#include "csandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

typedef struct {
  int stage;
  int error;
} report_t;

/// `fork` without glibc's atfork handlers. The caller is multi-threaded and links OpenBLAS,
/// whose prefork handler joins its worker threads and can deadlock; the children here make
/// raw system calls only (no locks, no allocation, nothing that consults glibc's thread
/// list, which still describes the parent), so they need none of what the handlers prepare.
static pid_t plain_fork(void) {
#ifdef __linux__
  return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#else
  return fork();
#endif
}

/// Reports the failed stage to the parent and exits; the report pipe is descriptor `fd`.
static void fail(int fd, int stage) {
  report_t r = {stage, errno};
  ssize_t ignored = write(fd, &r, sizeof r);
  (void)ignored;
  _exit(127);
}

/// An exit status that carries a signal as 128 + n, as shells do.
static int encode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/// Decimal text of `value` into `buffer` (at least 24 bytes); returns its length.
static size_t format_long(long long value, char *buffer) {
  char digits[24];
  size_t n = 0;
  int negative = value < 0;
  unsigned long long v = negative ? (unsigned long long)(-value) : (unsigned long long)value;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v && n < sizeof digits);
  size_t out = 0;
  if (negative) buffer[out++] = '-';
  while (n) buffer[out++] = digits[--n];
  buffer[out] = 0;
  return out;
}

static int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n < 0 ? -1 : 0;
}

static void reset_signals(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 65; sig++) sigaction(sig, &action, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/// Puts the caller's descriptors at 0..n-1 and the report pipe at n (close-on-exec), and
/// closes everything else. Returns the report descriptor.
static int arrange_descriptors(const whet_spawn_config *c, int report) {
  enum { high = 512 };
  int n = c->child_fd_count;
  int moved[64];
  if (n > 64) {
    errno = EINVAL;
    fail(report, WHET_STAGE_DESCRIPTORS);
  }
  for (int i = 0; i < n; i++) {
    moved[i] = fcntl(c->child_fds[i], F_DUPFD_CLOEXEC, high);
    if (moved[i] < 0) fail(report, WHET_STAGE_DESCRIPTORS);
  }
  int report_moved = fcntl(report, F_DUPFD_CLOEXEC, high);
  if (report_moved < 0) fail(report, WHET_STAGE_DESCRIPTORS);
  report = report_moved;
  for (int i = 0; i < n; i++)
    if (dup2(moved[i], i) < 0) fail(report, WHET_STAGE_DESCRIPTORS);
#ifdef __linux__
  if (dup3(report, n, O_CLOEXEC) < 0) fail(report, WHET_STAGE_DESCRIPTORS);
#else
  if (dup2(report, n) < 0 || fcntl(n, F_SETFD, FD_CLOEXEC) < 0)
    fail(report, WHET_STAGE_DESCRIPTORS);
#endif
  report = n;
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, (unsigned)n + 1, ~0U, 0) != 0)
#endif
  {
    for (int fd = n + 1; fd < 65536; fd++) close(fd);
  }
  return report;
}

static void set_limit(int report, int resource, long long soft, long long hard) {
  if (soft <= 0) return;
  struct rlimit limit = {(rlim_t)soft, (rlim_t)hard};
  if (setrlimit(resource, &limit) != 0) fail(report, WHET_STAGE_LIMITS);
}

/// The last steps before executing the program, in the process that becomes it.
static void become_program(const whet_spawn_config *c, int report, int was_root) {
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
  if (c->workdir && chdir(c->workdir) != 0) fail(report, WHET_STAGE_WORKDIR);
  struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) fail(report, WHET_STAGE_LIMITS);
  set_limit(report, RLIMIT_CPU, c->limit_cpu_seconds, c->limit_cpu_seconds + 1);
  set_limit(report, RLIMIT_FSIZE, c->limit_file_size, c->limit_file_size);
  set_limit(report, RLIMIT_NOFILE, c->limit_open_files, c->limit_open_files);
  set_limit(report, RLIMIT_NPROC, c->limit_processes, c->limit_processes);
  set_limit(report, RLIMIT_AS, c->limit_address_space, c->limit_address_space);
  if (was_root && c->uid >= 0) {
#ifdef __linux__
    // Raw system calls: glibc's setgroups/setgid/setuid signal every thread it believes the
    // process has (POSIX per-process credentials), and after `plain_fork` that list is the
    // parent's, so they would wait forever for threads that are not here.
    if (syscall(SYS_setgroups, 0, NULL) != 0) fail(report, WHET_STAGE_CREDENTIALS);
    if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) fail(report, WHET_STAGE_CREDENTIALS);
    if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) fail(report, WHET_STAGE_CREDENTIALS);
#else
    if (setgroups(0, NULL) != 0) fail(report, WHET_STAGE_CREDENTIALS);
    if (setgid((gid_t)c->gid) != 0) fail(report, WHET_STAGE_CREDENTIALS);
    if (setuid((uid_t)c->uid) != 0) fail(report, WHET_STAGE_CREDENTIALS);
#endif
  }
#ifdef __linux__
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report, WHET_STAGE_CREDENTIALS);
#endif
  execve(c->executable, c->argv, c->envp);
  fail(report, WHET_STAGE_EXEC);
}

#ifdef __linux__
/// Waits for `child`, reaping every other process too (the caller may be a namespace's init),
/// and exits with the child's status.
static void wait_and_exit(pid_t child) {
  for (;;) {
    int status = 0;
    pid_t done = waitpid(-1, &status, 0);
    if (done == child) _exit(encode_status(status));
    if (done < 0 && errno != EINTR) _exit(255);
  }
}

static void enter_user_namespace(int report, uid_t uid, gid_t gid) {
  if (unshare(CLONE_NEWUSER) != 0) fail(report, WHET_STAGE_USER_NAMESPACE);
  char line[64];
  char number[24];
  if (write_text("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
    fail(report, WHET_STAGE_USER_NAMESPACE);
  format_long((long long)uid, number);
  strcpy(line, "0 ");
  strcat(line, number);
  strcat(line, " 1");
  if (write_text("/proc/self/uid_map", line) != 0) fail(report, WHET_STAGE_USER_NAMESPACE);
  format_long((long long)gid, number);
  strcpy(line, "0 ");
  strcat(line, number);
  strcat(line, " 1");
  if (write_text("/proc/self/gid_map", line) != 0) fail(report, WHET_STAGE_USER_NAMESPACE);
}

/// The mount namespace: nothing propagates out; the root is read-only; /tmp and /dev/shm are
/// private, size-capped tmpfs mounts; /proc belongs to the new PID namespace.
static void set_up_mounts(const whet_spawn_config *c, int report) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    fail(report, WHET_STAGE_MOUNT_PRIVATE);
  if (c->hidden_paths) {
    for (const char *const *p = c->hidden_paths; *p; p++) {
      if (mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=4k,mode=755") != 0 &&
          errno != ENOENT && errno != ENOTDIR)
        fail(report, WHET_STAGE_MOUNT_HIDE);
    }
  }
  struct mount_attr attributes;
  memset(&attributes, 0, sizeof attributes);
  attributes.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attributes, sizeof attributes) != 0)
    fail(report, WHET_STAGE_MOUNT_READONLY);
  char options[96];
  char number[24];
  format_long(c->tmpfs_bytes > 0 ? c->tmpfs_bytes : 16 << 20, number);
  strcpy(options, "mode=1777,nr_inodes=4096,size=");
  strcat(options, number);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
    fail(report, WHET_STAGE_MOUNT_TMP);
  if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, options) != 0 && errno != ENOENT)
    fail(report, WHET_STAGE_MOUNT_TMP);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    fail(report, WHET_STAGE_MOUNT_PROC);
}
#endif

pid_t whet_spawn(const whet_spawn_config *c, int *stage, int *error) {
  *stage = WHET_STAGE_NONE;
  *error = 0;
#ifndef __linux__
  if (c->isolate) {
    *stage = WHET_STAGE_NAMESPACES;
    *error = ENOSYS;
    return -1;
  }
#endif
  int pipe_fds[2];
#ifdef __linux__
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
#else
  if (pipe(pipe_fds) != 0 || fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
      fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC) != 0) {
#endif
    *stage = WHET_STAGE_FORK;
    *error = errno;
    return -1;
  }
  int was_root = geteuid() == 0;
  uid_t caller_uid = geteuid();
  gid_t caller_gid = getegid();
  pid_t pid = plain_fork();
  if (pid < 0) {
    *stage = WHET_STAGE_FORK;
    *error = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return -1;
  }
  if (pid == 0) {
    // The process the caller sees: its own process group.
    setpgid(0, 0);
    reset_signals();
    int report = arrange_descriptors(c, pipe_fds[1]);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (c->cgroup_procs) {
      for (const char *const *p = c->cgroup_procs; *p; p++)
        if (write_text(*p, "0") != 0) fail(report, WHET_STAGE_CGROUP);
    }
    if (c->isolate) {
      if (!was_root) enter_user_namespace(report, caller_uid, caller_gid);
      int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                  CLONE_NEWCGROUP;
      if (unshare(flags) != 0) fail(report, WHET_STAGE_NAMESPACES);
      pid_t init = plain_fork();
      if (init < 0) fail(report, WHET_STAGE_FORK);
      if (init > 0) {
        close(report);
        wait_and_exit(init);
      }
      // PID 1 of the new namespace: when it exits, the kernel kills the rest.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      set_up_mounts(c, report);
      sethostname("sandbox", 7);
      pid_t program = plain_fork();
      if (program < 0) fail(report, WHET_STAGE_FORK);
      if (program > 0) {
        close(report);
        wait_and_exit(program);
      }
    }
#else
    (void)caller_uid;
    (void)caller_gid;
#endif
    become_program(c, report, was_root);
  }
  close(pipe_fds[1]);
  report_t r = {0, 0};
  ssize_t got;
  do {
    got = read(pipe_fds[0], &r, sizeof r);
  } while (got < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (got == (ssize_t)sizeof r) {
    kill(-pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *stage = r.stage;
    *error = r.error;
    return -1;
  }
  return pid;
}

int whet_pipe_cloexec(int fds[2]) {
#ifdef __linux__
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}
