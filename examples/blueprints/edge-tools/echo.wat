;; Echo tool of the edge-tools blueprint: reads the module request JSON from stdin (WASI
;; fd_read) and writes {"contract_version":"v1","status":"ok","output":{"request":<the request>}}
;; to stdout (fd_write). Exports `run`, the default entrypoint. Requests up to ~127 KiB.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; 0..7: one iovec; 8: bytes read/written; 16: reply prefix (59 bytes); 128: reply suffix; 1024..: stdin
  (data (i32.const 16) "{\"contract_version\":\"v1\",\"status\":\"ok\",\"output\":{\"request\":")
  (data (i32.const 128) "}}")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "run") (local $n i32) (local $end i32)
    (local.set $end (i32.const 1024))
    (block $done
      (loop $more
        (i32.store (i32.const 0) (local.get $end))
        (i32.store (i32.const 4) (i32.sub (i32.const 131072) (local.get $end)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $end (i32.add (local.get $end) (local.get $n)))
        (br_if $done (i32.ge_u (local.get $end) (i32.const 131072)))
        (br $more)))
    (call $write (i32.const 16) (i32.const 59))
    (call $write (i32.const 1024) (i32.sub (local.get $end) (i32.const 1024)))
    (call $write (i32.const 128) (i32.const 2))))
