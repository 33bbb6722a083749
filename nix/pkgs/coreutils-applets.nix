# The busybox applets that play coreutils, on every system. `env` matters: images link
# /usr/bin/env to it.
[
  "[" "arch" "base64" "basename" "cat" "chgrp" "chmod" "chown" "cp" "cut" "date" "dd" "df"
  "dirname" "du" "echo" "env" "expand" "expr" "factor" "false" "fold" "groups" "head" "id"
  "link" "ln" "logname" "ls" "md5sum" "mkdir" "mkfifo" "mknod" "mktemp" "mv" "nl" "nproc"
  "od" "paste" "printf" "pwd" "readlink" "realpath" "rm" "rmdir" "seq" "sha1sum"
  "sha256sum" "sha512sum" "shred" "shuf" "sleep" "sort" "stat" "stty" "sync" "tac" "tail"
  "tee" "test" "timeout" "touch" "tr" "true" "truncate" "tty" "uname" "unexpand" "uniq"
  "unlink" "wc" "whoami" "yes"
]
