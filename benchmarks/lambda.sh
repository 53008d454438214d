#!/usr/bin/env bash
# The library's front door (issue 24), measured in one run against the byte[] call it rides on:
# the round trip of a small lambda and of a proxied method against a 64-byte byte[] call through a
# warm one-worker pool; lambda calls per second through two workers; one Isolated.call.
# Usage: benchmarks/lambda.sh [--quick]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$here/target/lambda
mkdir -p "$out"
rounds=20000 calls=100000
[ "${1:-}" = --quick ] && rounds=2000 calls=20000

lib=$root/supervisor/target
stub=$(ls "$lib"/lib/worker-stub-*.jar)
cp="$lib/supervisor.jar"
javac -d "$out/classes" -cp "$stub:$cp" "$here"/pool/EchoTask.java "$here"/pool/LambdaBench.java
printf 'Task-Class: EchoTask\n' > "$out/manifest"
jar cfm "$out/echo-worker.jar" "$out/manifest" -C "$out/classes" EchoTask.class

v=$(java -cp "$cp:$out/classes" LambdaBench "$out/echo-worker.jar" "$rounds" "$calls")
val() { echo "$v" | awk -v k="$1" '$1 == k {print $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
b=$(val bytes_roundtrip_us) l=$(val lambda_roundtrip_us) p=$(val proxy_roundtrip_us)
printf '%-44s %10s %10s %8s  %s\n' "row" "measured" "baseline" "ratio" "budget"
printf '%-44s %8sus %8sus %8s  %s\n' "6. lambda round trip vs byte[] round trip" "$l" "$b" "$(ratio "$l" "$b")" "<= 1.50"
printf '%-44s %8sus %8sus %8s  %s\n' "6. proxy round trip vs byte[] round trip" "$p" "$b" "$(ratio "$p" "$b")" "<= 1.50"
printf '%-44s %10s %10s %8s  %s\n' "6. lambda throughput, 2 workers (calls/s)" "$(val lambda_throughput_calls_per_s)" "" "" ">= 20000"
printf '%-44s %8sms %10s %8s  %s\n' "   Isolated.call (a JVM per call)" "$(val isolated_call_ms)" "" "" ""
