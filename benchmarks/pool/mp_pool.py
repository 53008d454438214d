# Python's multiprocessing.Pool.apply round trip of a 64-byte bytes object, median microseconds.
import multiprocessing, sys, time

def echo(b):
    return b

if __name__ == "__main__":
    rounds = int(sys.argv[1])
    payload = b"x" * 64
    with multiprocessing.Pool(1) as pool:
        for _ in range(rounds // 10):
            pool.apply(echo, (payload,))
        t = []
        for _ in range(rounds):
            s = time.perf_counter_ns()
            pool.apply(echo, (payload,))
            t.append(time.perf_counter_ns() - s)
    t.sort()
    print("python_pool_apply_us %.1f" % (t[len(t) // 2] / 1e3))
