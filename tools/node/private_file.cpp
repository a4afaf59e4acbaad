#include "private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gossipmonger::node {
namespace {

Status SystemError(const std::string& what, const std::string& path) {
  return Status::Error(StatusCode::kIOError,
                       what + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out of a function.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may report (NFS, quotas).
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Status TooLarge(const std::string& path) {
  return Status::Error(
      StatusCode::kInvalidArgument,
      path + " is larger than " + std::to_string(kMaxPrivateFileBytes) + " bytes");
}

Status CheckPrivate(const struct stat& info, const std::string& path) {
  if (!S_ISREG(info.st_mode)) {
    return Status::Error(StatusCode::kInvalidArgument, path + " is not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Status::Error(StatusCode::kInvalidArgument,
                         path + " has mode " + mode +
                             ": group or others may access it; it must be 0600 "
                             "(chmod 600 " +
                             path + ")");
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxPrivateFileBytes)
    return TooLarge(path);
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& text, const std::string& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemError("cannot write", path);
    written += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

// Writes and syncs the temporary file `temp` (already created, open as
// `fd`).
Status FillTemporary(FileDescriptor& fd, const std::string& temp,
                     const std::string& text) {
  // mkstemp makes it 0600 already; said again for any libc that does not.
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0)
    return SystemError("cannot chmod", temp);
  if (Status s = WriteAll(fd.get(), text, temp); !s.ok()) return s;
  if (::fsync(fd.get()) != 0) return SystemError("cannot sync", temp);
  if (!fd.Close()) return SystemError("cannot close", temp);
  return Status::Ok();
}

}  // namespace

Status ReadPrivateFile(const std::string& path, std::string* text, bool* exists) {
  text->clear();
  *exists = false;
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return errno == ENOENT ? Status::Ok() : SystemError("cannot open", path);
  }
  *exists = true;
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return SystemError("cannot stat", path);
  if (Status s = CheckPrivate(info, path); !s.ok()) return s;
  char buffer[4096];
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) text->append(buffer, static_cast<std::size_t>(n));
  } while ((n > 0 && text->size() <= kMaxPrivateFileBytes) || (n < 0 && errno == EINTR));
  const int read_error = n < 0 ? errno : 0;
  ::explicit_bzero(buffer, sizeof buffer);  // it held secrets
  if (read_error != 0) {
    errno = read_error;
    return SystemError("cannot read", path);
  }
  if (text->size() > kMaxPrivateFileBytes) return TooLarge(path);  // grew meanwhile
  return Status::Ok();
}

Status ReplacePrivateFile(const std::string& path, const std::string& text) {
  std::string temp = path + ".XXXXXX";
  FileDescriptor fd(::mkstemp(temp.data()));
  if (fd.get() < 0) return SystemError("cannot create a temporary file beside", path);
  Status s = FillTemporary(fd, temp, text);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    s = SystemError("cannot rename " + temp + " to", path);
  }
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  // The rename is durable only once the directory is synced.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return SystemError("cannot sync the directory", directory);
  }
  return Status::Ok();
}

}  // namespace gossipmonger::node
