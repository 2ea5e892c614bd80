(component
  (import "wait" (func $wait (param "x" u32) (result u32)))
  (core func $wait_lowered (canon lower (func $wait)))
  (core func $task_return (canon task.return (result u32)))
  (core module $m
    (import "" "wait" (func $w (param i32) (result i32)))
    (import "" "task.return" (func $tr (param i32)))
    (func (export "run") (param i32) (result i32)
      local.get 0 call $w i32.const 1 i32.add call $tr
      i32.const 0)
    (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
  (core instance $i (instantiate $m (with "" (instance (export "wait" (func $wait_lowered)) (export "task.return" (func $task_return))))))
  (func (export "run") async (param "x" u32) (result u32) (canon lift (core func $i "run") async (callback (core func $i "cb"))))
)
