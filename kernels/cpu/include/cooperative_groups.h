// The CPU shim's stand-in for CUDA's <cooperative_groups.h> (kernels/cpu/cuda_cpu_shim.h): the grid and block groups
// with sync(). this_grid().sync() is valid only in a cooperative launch (the runtime traps otherwise, as CUDA does).
#pragma once

namespace cooperative_groups {
struct grid_group {
    void sync() const { lncpu::grid_sync(); }
    bool is_valid() const { return true; }
};
struct thread_block {
    void sync() const { lncpu::block_sync(); }
};
inline grid_group this_grid() { return {}; }
inline thread_block this_thread_block() { return {}; }
} // namespace cooperative_groups
