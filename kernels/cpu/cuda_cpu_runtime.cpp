// The CPU shim's runtime (see cuda_cpu_shim.h): a pool of OS threads, one per CUDA thread of the blocks that run at
// once; block, warp and grid barriers; the launcher and the exported C entry points the tests P/Invoke.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_cpu_shim.h" // after the system headers: its macros are for kernel code

thread_local uint3 threadIdx LNCPU_TLS;
thread_local uint3 blockIdx LNCPU_TLS;
thread_local dim3 blockDim LNCPU_TLS;
thread_local dim3 gridDim LNCPU_TLS;

// From the generated unit: the kernels, and the binding of the extern __shared__ arrays to a block's memory.
extern const lncpu::KernelEntry lncpu_kernels[];
extern const int lncpu_kernel_count;
extern void lncpu_bind_dynamic_shared(void* memory);

namespace lncpu {
namespace {

// Thrown through a thread's kernel frames when its launch is aborted (a __trap, another thread's error, a timeout).
struct Aborted {
};

struct Launch;

// A barrier among a changing set of participants: threads that exit leave it (CUDA counts exited threads as arrived).
// Waiters sleep on a futex on the generation number, so a release wakes them without a mutex hand-off each.
struct Barrier {
    std::mutex m;
    int expected = 0;
    int arrived = 0;
    std::atomic<std::uint32_t> generation{0};
    Launch* launch = nullptr;

    void wait();
    void leave();
    void release(); // with m held: next generation, wake everyone
};

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t value)
{
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>* word)
{
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, 0x7fffffff, nullptr, nullptr, 0);
}

struct Warp {
    Barrier barrier;
    std::uint64_t slots[2][32] = {}; // double-buffered: one barrier per shuffle
    std::uint32_t round[32] = {};    // per lane: which buffer its next shuffle uses
    unsigned int present = 0; // lanes that exist (the last warp of a block may be partial)
    std::atomic<unsigned int> live{0};
};

struct Block {
    uint3 index{};
    Barrier barrier;
    std::vector<std::unique_ptr<Warp>> warps;
    std::vector<float4> shared; // dynamic shared memory, 16-byte aligned
};

struct Launch {
    Thunk thunk = nullptr;
    std::string name;
    void** params = nullptr;
    dim3 grid, block;
    bool cooperative = false;
    bool concurrent = false;
    std::vector<std::unique_ptr<Block>> blocks;
    Barrier grid_barrier;
    std::atomic<bool> aborted{false};
    std::mutex state_m;
    std::condition_variable done_cv;
    long long remaining = 0;
    std::string error;

    void fail(const std::string& message)
    {
        {
            std::lock_guard<std::mutex> lock(state_m);
            if (error.empty()) {
                error = message;
            }
        }
        aborted.store(true);
        // Waiters wake up, see the flag and unwind.
        auto wake = [](Barrier& b) {
            std::lock_guard<std::mutex> lock(b.m);
            b.release();
        };
        wake(grid_barrier);
        for (auto& block : blocks) {
            wake(block->barrier);
            for (auto& warp : block->warps) {
                wake(warp->barrier);
            }
        }
    }
};

void Barrier::release()
{
    arrived = 0;
    generation.fetch_add(1);
    futex_wake_all(&generation);
}

void Barrier::wait()
{
    if (launch->aborted.load()) {
        throw Aborted{};
    }
    std::uint32_t g;
    {
        std::lock_guard<std::mutex> lock(m);
        g = generation.load();
        if (++arrived >= expected) {
            release();
            return;
        }
    }
    while (generation.load() == g) {
        futex_wait(&generation, g);
    }
    if (launch->aborted.load()) {
        throw Aborted{};
    }
}

void Barrier::leave()
{
    std::lock_guard<std::mutex> lock(m);
    expected--;
    if (arrived > 0 && arrived >= expected) {
        release();
    }
}

struct ThreadContext {
    Launch* launch = nullptr;
    Block* block = nullptr;
    Warp* warp = nullptr;
    int lane = 0;
};

thread_local ThreadContext* current = nullptr;

ThreadContext& context()
{
    if (current == nullptr) {
        std::fprintf(stderr, "lncpu: a device function was called outside a kernel launch\n");
        std::abort();
    }
    return *current;
}

std::string where()
{
    char text[160];
    std::snprintf(text, sizeof text, "block (%u,%u,%u) thread (%u,%u,%u)", blockIdx.x, blockIdx.y, blockIdx.z,
                  threadIdx.x, threadIdx.y, threadIdx.z);
    return text;
}

[[noreturn]] void fail_here(const std::string& what)
{
    auto& c = context();
    c.launch->fail("kernel '" + c.launch->name + "': " + what + " in " + where());
    throw Aborted{};
}

void check_abort()
{
    if (context().launch->aborted.load()) {
        throw Aborted{};
    }
}

// ----- the thread pool --------------------------------------------------------------------------------------------------
struct Task {
    std::shared_ptr<Launch> launch;
    Block* block;
    unsigned int thread; // linear index in the block
};

struct Pool {
    std::mutex m;
    std::condition_variable cv;
    std::deque<Task> queue;
    int idle = 0; // workers waiting for a task (or about to)

    void submit(std::vector<Task>& tasks);
};
Pool& pool = *new Pool; // never destroyed: its workers wait on it until the process ends

void run_task(Task& task)
{
    Launch& launch = *task.launch;
    Block& block = *task.block;
    const unsigned int t = task.thread;
    threadIdx = {t % launch.block.x, (t / launch.block.x) % launch.block.y, t / (launch.block.x * launch.block.y)};
    blockIdx = block.index;
    blockDim = launch.block;
    gridDim = launch.grid;
    ThreadContext ctx;
    ctx.launch = &launch;
    ctx.block = &block;
    ctx.warp = block.warps[t / 32].get();
    ctx.lane = (int)(t % 32);
    current = &ctx;
    lncpu_bind_dynamic_shared(block.shared.data());
    try {
        launch.thunk(launch.params);
    } catch (const Aborted&) {
    } catch (const std::exception& e) {
        launch.fail("kernel '" + launch.name + "': C++ exception: " + e.what());
    } catch (...) {
        launch.fail("kernel '" + launch.name + "': unknown C++ exception");
    }
    ctx.warp->live.fetch_and(~(1u << ctx.lane));
    ctx.warp->barrier.leave();
    block.barrier.leave();
    if (launch.concurrent) {
        launch.grid_barrier.leave();
    }
    current = nullptr;
    bool last;
    {
        std::lock_guard<std::mutex> lock(launch.state_m);
        last = --launch.remaining == 0;
    }
    if (last) {
        launch.done_cv.notify_all();
    }
}

void* worker(void*)
{
    for (;;) {
        Task task;
        {
            std::unique_lock<std::mutex> lock(pool.m);
            pool.cv.wait(lock, [] { return !pool.queue.empty(); });
            task = std::move(pool.queue.front());
            pool.queue.pop_front();
            pool.idle--;
        }
        run_task(task);
        task.launch.reset();
        std::lock_guard<std::mutex> lock(pool.m);
        pool.idle++;
    }
    return nullptr;
}

// Every task must get its own thread at once (they wait for each other at barriers): grow the pool to fit.
void Pool::submit(std::vector<Task>& tasks)
{
    std::lock_guard<std::mutex> lock(m);
    const long long needed = (long long)queue.size() + (long long)tasks.size();
    while (idle < needed) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 512 * 1024);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        const int rc = pthread_create(&thread, &attr, worker, nullptr);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            throw std::runtime_error("pthread_create failed (" + std::to_string(rc) + ")");
        }
        idle++;
    }
    for (auto& task : tasks) {
        queue.push_back(std::move(task));
        cv.notify_one(); // as many workers as tasks, not the whole pool
    }
}

std::mutex launch_mutex; // one launch at a time: static __shared__ variables are process-wide
int timeout_ms = []() {
    const char* text = std::getenv("LSTMNATIVE_CPU_KERNEL_TIMEOUT_MS");
    return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 60000;
}();

// Runs `blocks` (all at once) and waits; false on timeout.
bool run_blocks(const std::shared_ptr<Launch>& launch, const std::vector<Block*>& blocks, std::chrono::steady_clock::time_point deadline)
{
    const unsigned int threads = launch->block.x * launch->block.y * launch->block.z;
    std::vector<Task> tasks;
    tasks.reserve((size_t)threads * blocks.size());
    for (Block* block : blocks) {
        for (unsigned int t = 0; t < threads; t++) {
            tasks.push_back(Task{launch, block, t});
        }
    }
    {
        std::lock_guard<std::mutex> lock(launch->state_m);
        launch->remaining = (long long)tasks.size();
    }
    pool.submit(tasks);
    std::unique_lock<std::mutex> lock(launch->state_m);
    return launch->done_cv.wait_until(lock, deadline, [&] { return launch->remaining == 0; });
}

} // namespace

// ----- device functions --------------------------------------------------------------------------------------------------
void syncthreads()
{
    context().block->barrier.wait();
}

void block_sync()
{
    syncthreads();
}

void syncwarp(unsigned int mask)
{
    auto& c = context();
    const unsigned int live = c.warp->live.load();
    if ((mask & c.warp->present) != live) {
        fail_here("__syncwarp with a mask other than the warp's live lanes (not emulated)");
    }
    c.warp->barrier.wait();
}

void grid_sync()
{
    auto& c = context();
    if (!c.launch->cooperative) {
        fail_here("grid.sync() in a launch that is not cooperative");
    }
    c.launch->grid_barrier.wait();
}

[[noreturn]] void trap()
{
    fail_here("__trap()");
}

void nanosleep_ns(unsigned int ns)
{
    check_abort();
    if (ns < 1000) {
        sched_yield();
    } else {
        timespec ts{(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
        ::nanosleep(&ts, nullptr);
    }
}

long long clock_ns()
{
    check_abort();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int lane_id()
{
    return context().lane;
}

std::uint64_t warp_exchange(unsigned int mask, std::uint64_t value, int source)
{
    auto& c = context();
    Warp& w = *c.warp;
    const unsigned int live = w.live.load();
    if ((mask & w.present) != live || (mask & w.present) != w.present) {
        fail_here("warp shuffle with a mask other than the whole warp, or with lanes that have exited (not emulated)");
    }
    // Lanes alternate between two buffers: a lane can only write this buffer again two shuffles later, after the
    // barrier of the next one, which every lane reaches only once it has read this one.
    const std::uint32_t buffer = w.round[c.lane]++ & 1u;
    w.slots[buffer][c.lane] = value;
    w.barrier.wait();
    return source < 0 || source >= 32 || ((w.present >> source) & 1u) == 0 ? value : w.slots[buffer][source];
}

} // namespace lncpu

// ----- exported entry points ---------------------------------------------------------------------------------------------
namespace {
void set_error(char* error, int capacity, const std::string& message)
{
    if (error != nullptr && capacity > 0) {
        std::snprintf(error, (size_t)capacity, "%s", message.c_str());
    }
}
} // namespace

#define LNCPU_EXPORT extern "C" __attribute__((visibility("default")))

LNCPU_EXPORT int lncpu_kernel_count_get()
{
    return lncpu_kernel_count;
}

LNCPU_EXPORT const char* lncpu_kernel_name(int index)
{
    return index >= 0 && index < lncpu_kernel_count ? lncpu_kernels[index].name : nullptr;
}

LNCPU_EXPORT void lncpu_set_timeout_ms(int milliseconds)
{
    lncpu::timeout_ms = milliseconds > 0 ? milliseconds : 60000;
}

// Flags of lncpu_launch.
#define LNCPU_CONCURRENT 1  // every block at once (persistent kernels: the grid is resident)
#define LNCPU_COOPERATIVE 2 // a cooperative launch: grid.sync() allowed (implies concurrent)

// Launches kernel `name` on grid x block threads with `shared_bytes` of dynamic shared memory; `params` as
// cuLaunchKernel's kernelParams (one pointer per parameter). Returns 0, or non-zero with the reason in `error`:
// 1 unknown kernel, 2 bad configuration, 3 the kernel failed (__trap, a shuffle it cannot emulate...), 4 timeout.
LNCPU_EXPORT int lncpu_launch(const char* name, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                              unsigned int by, unsigned int bz, unsigned int shared_bytes, void** params, int flags,
                              char* error, int error_capacity)
{
    using namespace lncpu;
    const KernelEntry* entry = nullptr;
    for (int i = 0; i < lncpu_kernel_count; i++) {
        if (std::strcmp(lncpu_kernels[i].name, name) == 0) {
            entry = &lncpu_kernels[i];
        }
    }
    if (entry == nullptr) {
        set_error(error, error_capacity, std::string("no kernel named '") + name + "' in the CPU build of kernels/*.cu");
        return 1;
    }
    const unsigned long long threads = (unsigned long long)bx * by * bz;
    const unsigned long long blocks = (unsigned long long)gx * gy * gz;
    const bool cooperative = (flags & LNCPU_COOPERATIVE) != 0;
    const bool concurrent = cooperative || (flags & LNCPU_CONCURRENT) != 0;
    const unsigned long long at_once = concurrent ? threads * blocks : threads;
    if (threads == 0 || blocks == 0 || threads > 1024 || at_once > 8192 || shared_bytes > 256 * 1024) {
        set_error(error, error_capacity, "launch of '" + std::string(name) + "': bad configuration (" + std::to_string(blocks) +
                                             " blocks of " + std::to_string(threads) + " threads, " + std::to_string(shared_bytes) +
                                             " bytes of shared memory; at most 1024 threads a block, 8192 at once)");
        return 2;
    }

    std::lock_guard<std::mutex> serial(launch_mutex);
    auto launch = std::make_shared<Launch>();
    launch->thunk = entry->thunk;
    launch->name = name;
    launch->params = params;
    launch->grid = dim3(gx, gy, gz);
    launch->block = dim3(bx, by, bz);
    launch->cooperative = cooperative;
    launch->concurrent = concurrent;
    launch->grid_barrier.launch = launch.get();
    launch->grid_barrier.expected = (int)(threads * blocks);
    for (unsigned int z = 0; z < gz; z++) {
        for (unsigned int y = 0; y < gy; y++) {
            for (unsigned int x = 0; x < gx; x++) {
                auto block = std::make_unique<Block>();
                block->index = {x, y, z};
                block->barrier.launch = launch.get();
                block->barrier.expected = (int)threads;
                for (unsigned int w = 0; w < (threads + 31) / 32; w++) {
                    auto warp = std::make_unique<Warp>();
                    const unsigned int lanes = (unsigned int)std::min<unsigned long long>(32, threads - 32ull * w);
                    warp->present = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
                    warp->live.store(warp->present);
                    warp->barrier.launch = launch.get();
                    warp->barrier.expected = (int)lanes;
                    block->warps.push_back(std::move(warp));
                }
                // NaN-filled: reading shared memory nobody wrote shows in the results.
                block->shared.resize((shared_bytes + 15) / 16);
                std::memset(static_cast<void*>(block->shared.data()), 0xFF, block->shared.size() * sizeof(float4));
                launch->blocks.push_back(std::move(block));
            }
        }
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool finished = true;
    try {
        if (concurrent) {
            std::vector<Block*> all;
            for (auto& b : launch->blocks) {
                all.push_back(b.get());
            }
            finished = run_blocks(launch, all, deadline);
        } else {
            for (auto& b : launch->blocks) {
                finished = run_blocks(launch, {b.get()}, deadline);
                if (!finished || launch->aborted.load()) {
                    break;
                }
            }
        }
    } catch (const std::exception& e) {
        set_error(error, error_capacity, std::string("launch of '") + name + "': " + e.what());
        return 2;
    }
    if (!finished) {
        launch->fail("kernel '" + std::string(name) + "' did not finish within " + std::to_string(timeout_ms) +
                     " ms (a barrier or spin that never completes?)");
        // Threads blocked at barriers unwind now; one spinning without ever calling into the runtime stays behind
        // (the launch object lives on with it), and the pool grows new threads for the next launches.
        std::unique_lock<std::mutex> lock(launch->state_m);
        launch->done_cv.wait_for(lock, std::chrono::seconds(2), [&] { return launch->remaining == 0; });
        set_error(error, error_capacity, launch->error);
        return 4;
    }
    if (launch->aborted.load()) {
        std::lock_guard<std::mutex> lock(launch->state_m);
        set_error(error, error_capacity, launch->error);
        return 3;
    }
    return 0;
}
