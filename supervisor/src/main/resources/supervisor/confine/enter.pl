# The sandbox's entry (see supervisor.confine.Confinement, which builds its command line).
#
# Run by util-linux's unshare, as root (or root of a user namespace), in fresh mount and network
# namespaces, and with fresh pid namespace for its children when asked. Arguments:
#   SETPRIV UID GID NET RO PIDS GIVE NSHOW NRW SHOW... RW... -- COMMAND...
# UID and GID: the task's ids, "-" to keep them; NET 1: bring up loopback; RO 1: a read-only view
# of every mount, /home and /root hidden, /tmp and /dev/shm fresh, SHOW paths bound back read-only
# and RW paths read-write; PIDS 1: this process stays outside and forks the namespace's init;
# GIVE: descriptors (comma-separated, "-" for none) that are pipes the supervisor made for the
# task and that it reopens by /proc/self/fd/N (a worker's protocol, fds 0 and 3): given to its user.
#
# Why perl: the task must not be PID 1 of its namespace (the kernel ignores there every signal it
# has no handler for, so SIGTERM would not stop a program that does not catch it), and the
# supervisor must see the task's own exit status, a death by a signal included. A shell cannot
# tell "killed by SIGTERM" from "exited 143", and unshare --fork reports a child killed by SIGKILL
# as status 1. perl-base is Essential in Debian, and calls mount(2) without a process per mount.
#
# The status protocol: the init writes the task's raw wait status (decimal) on a pipe as soon as
# the task ends, and "done" when nothing is left in the namespace (it then exits first) or "left"; this process, outside the namespace (the pid the supervisor holds), then
# exits with the same code or dies of the same signal. The init goes on reaping what the task
# left until none is left, so the supervisor sees the task end and its leftovers as it does
# without a sandbox. A failure before the command runs: one line on stderr, status 125.
use strict;
use warnings;
use POSIX ();

$0 = "supervisor-sandbox";
sub fail { print STDERR "supervisor: sandbox: $_[0]\n"; POSIX::_exit(125); }

my ($setpriv, $uid, $gid, $net, $ro, $pids, $give, $nshow, $nrw) = splice(@ARGV, 0, 9);
my @show = splice(@ARGV, 0, $nshow);
my @rw = splice(@ARGV, 0, $nrw);
shift @ARGV eq '--' or fail("bad arguments");
@ARGV or fail("no command");

# mount(2) by number: the headers' syscall.ph is not in perl-base.
my %MOUNT_NR = (x86_64 => 165, aarch64 => 40, riscv64 => 40, i686 => 21, i386 => 21, armv7l => 21,
                ppc64le => 21, s390x => 21);
my $arch = (POSIX::uname())[4];
my $MOUNT = $MOUNT_NR{$arch} // fail("no mount(2) number known for $arch");
use constant { MS_RDONLY => 1, MS_NOSUID => 2, MS_NODEV => 4, MS_NOEXEC => 8, MS_REMOUNT => 32,
               MS_NOATIME => 1024, MS_NODIRATIME => 2048, MS_BIND => 4096, MS_REC => 16384,
               MS_RELATIME => 1 << 21, MS_STRICTATIME => 1 << 24 };

sub mnt {
    my ($src, $dst, $type, $flags, $data) = @_;
    syscall($MOUNT, $src, $dst, $type // 0, $flags, $data // 0) == 0
        or return "mount $dst: $!";
    return undef;
}

if ($net) {
    # Only loopback, up: a socket's ioctl SIOCSIFFLAGS (0x8914), IFF_UP|IFF_LOOPBACK|IFF_RUNNING.
    socket(my $s, 2, 2, 0) or fail("socket for loopback: $!");
    my $ifreq = pack("Z16 s x22", "lo", 0x49);
    ioctl($s, 0x8914, $ifreq) or fail("cannot bring loopback up: $!");
    close $s;
}

if ($ro) {
    # Each path to bring back, held open now: a bind from /proc/self/fd/N reaches it once /home,
    # /root or /tmp are covered, where its own name would not.
    my @back;
    for my $p (@show, @rw) {
        my $fh;
        sysopen($fh, $p, POSIX::O_RDONLY()) or fail("cannot open $p to bind it: $!");
        push @back, [$p, $fh];
    }
    # Every mount read-only and nosuid, keeping its own nodev, noexec and atime flags (a user
    # namespace may not drop those).
    open(my $mi, '<', '/proc/self/mountinfo') or fail("cannot read /proc/self/mountinfo: $!");
    my @mounts;
    while (<$mi>) {
        my @f = split / /;
        (my $point = $f[4]) =~ s/\\([0-7]{3})/chr(oct($1))/ge;
        push @mounts, [$point, $f[5]];
    }
    close $mi;
    my %seen;
    for my $m (reverse @mounts) { # the top mount of a point is listed last
        my ($point, $opts) = @$m;
        next if $seen{$point}++;
        my $flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
        for (split /,/, $opts) {
            $flags |= MS_NODEV if $_ eq 'nodev';
            $flags |= MS_NOEXEC if $_ eq 'noexec';
            $flags |= MS_NOATIME if $_ eq 'noatime';
            $flags |= MS_NODIRATIME if $_ eq 'nodiratime';
            $flags |= MS_RELATIME if $_ eq 'relatime';
            $flags |= MS_STRICTATIME if $_ eq 'strictatime';
        }
        my $err = mnt("none", $point, undef, $flags);
        # A point another mount covers is out of reach and out of sight: ENOENT, or EINVAL when
        # what its name reaches now is not a mount root.
        next if !defined $err || !-e $point;
        fail($err) unless $!{EINVAL} && $point =~ m{^/(proc|sys)/};
    }
    for my $hidden ('/home', '/root') {
        next unless -d $hidden;
        my $err = mnt("tmpfs", $hidden, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m");
        fail($err) if $err;
    }
    for my $fresh ('/tmp', '/dev/shm') {
        next unless -d $fresh;
        my $err = mnt("tmpfs", $fresh, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        fail($err) if $err;
    }
    # A dynamic user gets a name in its view (systemd's nss-systemd does as much): without one, a
    # JVM writes no perf data (hsperfdata_USER), by which the supervisor tells it may attach.
    if ($uid ne '-' && -d '/tmp') {
        for my $db (['/etc/passwd', "supervisor-task:x:$uid:$gid:supervisor task:/:/usr/sbin/nologin"],
                    ['/etc/group', "supervisor-task:x:$gid:"]) {
            my ($file, $entry) = @$db;
            open(my $in, '<', $file) or next;
            my @lines = <$in>;
            close $in;
            next if grep { (split /:/)[2] eq ($file eq '/etc/passwd' ? $uid : $gid) } @lines;
            my $copy = "/tmp/.supervisor-" . ($file =~ s{.*/}{}r);
            open(my $out, '>', $copy) or fail("cannot write $copy: $!");
            print $out @lines, "$entry\n";
            close $out;
            my $err = mnt($copy, $file, undef, MS_BIND) // mnt("none", $file, undef, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
            fail($err) if $err;
            unlink $copy;
        }
    }
    my $i = 0;
    for my $b (@back) {
        my ($p, $fh) = @$b;
        my $writable = $i++ >= @show;
        if (!-e $p) { # under a fresh tmpfs: made there, for the bind
            my $dir = -d $fh ? $p : ($p =~ m{^(.*)/[^/]*$})[0];
            my $made = '';
            for (split m{/}, $dir) {
                next if $_ eq '';
                $made .= "/$_";
                mkdir($made, 0755) or $!{EEXIST} or fail("cannot make $made to bind $p: $!");
            }
            if (!-d $fh) { open(my $t, '>', $p) or fail("cannot make $p to bind it: $!"); close $t; }
        }
        my $err = mnt("/proc/self/fd/" . fileno($fh), $p, undef, MS_BIND);
        fail($err) if $err;
        $err = mnt("none", $p, undef, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | ($writable ? 0 : MS_RDONLY));
        fail($err) if $err;
        close $fh;
    }
    for my $hidden ('/home', '/root') {
        next unless -d $hidden;
        my $err = mnt("none", $hidden, undef, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
        fail($err) if $err;
    }
    # The working directory again by its name: the one held from before is the old, read-only
    # mount's (or one now hidden, left for /).
    my $cwd = POSIX::getcwd();
    chdir($cwd) or chdir('/') if defined $cwd;
}

our @given;
if ($uid ne '-' && $give ne '-') {
    for my $fd (split /,/, $give) {
        open(my $fh, '+<&=', $fd) or fail("descriptor $fd: $!");
        -p $fh or fail("descriptor $fd is not a pipe: not the supervisor's to give");
        chown($uid, $gid, $fh) or fail("cannot give descriptor $fd to $uid: $!");
        fcntl($fh, POSIX::F_SETFD(), 0); # perl marks it close-on-exec; the task needs it
        push @given, $fh; # a handle that goes out of scope closes its descriptor
    }
}

# The task: its user, no supplementary groups, no new privileges and no capabilities, ever.
my @task = ($setpriv, '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all');
push @task, '--clear-groups', "--regid=$gid", "--reuid=$uid" if $uid ne '-';
push @task, '--', @ARGV;

exec { $task[0] } @task or fail("cannot run $setpriv: $!") unless $pids;

# Signals the group gets must not end this process before the task's status is in: a handler
# that does nothing (exec resets it to the default in the task). What was ignored is left so,
# and stays ignored in the task.
my %ignored;
if (open(my $st, '<', '/proc/self/status')) {
    while (<$st>) {
        if (/^SigIgn:\s*([0-9a-f]+)/) {
            my $mask = hex(substr($1, -8)); # signals 1 to 31
            for my $n (1 .. 31) { $ignored{$n} = 1 if $mask & (1 << ($n - 1)); }
        }
    }
}
my %number = (HUP => 1, INT => 2, QUIT => 3, USR1 => 10, USR2 => 12, ALRM => 14, TERM => 15);
for my $name (keys %number) {
    $SIG{$name} = sub { } unless $ignored{$number{$name}};
}

pipe(my $r, my $w) or fail("pipe: $!");
my $init = fork() // fail("cannot fork the namespace's init: $!");
if ($init == 0) {
    close $r;
    # PID 1 of the namespace: its own /proc, then the task as PID 2.
    my $err = mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    fail($err) if $err;
    my $task = fork() // fail("cannot fork the task: $!");
    if ($task == 0) {
        close $w;
        $SIG{$_} = 'DEFAULT' for grep { !$ignored{$number{$_}} } keys %number;
        exec { $task[0] } @task or fail("cannot run $setpriv: $!");
    }
    while (1) {
        my $pid = waitpid(-1, 0);
        if ($pid == $task) {
            my $status = $?;
            # What the task left became this init's when it died: none left, and this init
            # ends before the outside does, so the supervisor never sees it as a leftover.
            1 while waitpid(-1, POSIX::WNOHANG()) > 0;
            my $done = $!{ECHILD} ? "done" : "left";
            syswrite($w, "$status $done\n");
            close $w;
            POSIX::_exit(0) if $done eq "done";
        } elsif ($pid == -1) {
            last if $!{ECHILD};
        }
    }
    POSIX::_exit(0);
}
close $w;
my $line = '';
while (1) {
    my $n = sysread($r, my $buf, 64);
    if (defined $n) {
        last if $n == 0;
        $line .= $buf;
    } elsif (!$!{EINTR}) {
        last;
    }
}
my $status;
if ($line =~ /^(\d+) (done|left)\n/) {
    $status = $1;
    waitpid($init, 0) if $2 eq "done";
} else {
    # The init died first (killed): its own end is the task's.
    waitpid($init, 0);
    $status = $?;
}
if ($status & 127) {
    my $sig = $status & 127;
    $SIG{$_} = 'DEFAULT' for keys %SIG;
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    kill $sig, $$;
    POSIX::_exit(128 + $sig);
}
POSIX::_exit($status >> 8);
