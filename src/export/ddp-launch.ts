// train_ddp.py's command line and its processes: one process by default; N ranks started by a
// launcher (torchrun, or by hand: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK), which
// meet at MASTER_ADDR:MASTER_PORT; or N ranks started by the script itself with `--nproc N`
// (torch.multiprocessing, spawn), which meet through a FileStore in a temporary folder, so that
// there is no port to choose, nor one to lose to another program between choosing and binding it.
// The data is read and checked once before any rank starts (by each rank under a launcher), and
// the training loop (`train`, in ddp.ts) runs in every rank.

/** The Python text: parse_args, join_group, run_rank, spawn_ranks and main. */
export const ddpLaunch = `
def parse_args():
    p = argparse.ArgumentParser(description="Trains the model with torch.distributed, as nnc train does.")
    p.add_argument("--data", required=True, help="a CSV file, as nnc train --data reads it")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32, help="examples per step, over all processes")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float)
    p.add_argument("--holdout", type=float, default=0.2)
    p.add_argument("--load", help="initial weights (safetensors, from nnc init or nnc train --save)")
    p.add_argument("--save", help="where to write the trained weights (safetensors)")
    p.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    p.add_argument(
        "--nproc",
        type=int,
        help="start N processes here, one per rank (torch.multiprocessing), which meet through a file "
        "in a temporary folder; without it, the ranks a launcher starts (WORLD_SIZE, RANK), or one",
    )
    args = p.parse_args()
    if args.nproc is not None and args.nproc < 1:
        p.error(f"--nproc expects a number of processes of at least 1, got {args.nproc}")
    if args.nproc is not None and "WORLD_SIZE" in os.environ:
        p.error("--nproc starts the processes itself; under a launcher that sets WORLD_SIZE, leave it out")
    return args


def join_group(rank, world, store):
    """Joins the ranks' group (gloo on CPU, nccl on GPUs): at MASTER_ADDR:MASTER_PORT as a launcher
    sets them, or through the FileStore at the path \`store\`; returns this rank's device."""
    if world == 1:
        return torch.device("cpu")
    cuda = torch.cuda.is_available()
    device = torch.device("cpu")
    if cuda:
        device = torch.device("cuda", rank if store else int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    backend = "nccl" if cuda else "gloo"
    if store is None:
        dist.init_process_group(backend)
    else:
        dist.init_process_group(backend, store=dist.FileStore(store, world), rank=rank, world_size=world)
    return device


def run_rank(rank, world, args, fields, n, store):
    """One rank, from joining its group to leaving it; exits 1 where training stops (NN7001)."""
    device = join_group(rank, world, store)
    ok = train(rank, world, device, args, fields, n)
    if world > 1:
        # every rank stops at the same step: rank 0 has said why, and saved, before any leaves
        dist.barrier()
        dist.destroy_process_group()
    if not ok:
        sys.exit(1)


def spawn_ranks(args, fields, n):
    """--nproc N: the ranks as child processes, meeting through a FileStore in a temporary folder."""
    import shutil
    import tempfile

    import torch.multiprocessing as mp

    folder = tempfile.mkdtemp(prefix="train_ddp-")
    try:
        store = os.path.join(folder, "store")
        mp.spawn(run_rank, args=(args.nproc, args, fields, n, store), nprocs=args.nproc, join=True)
    except mp.ProcessExitedException:
        sys.exit(1)  # the rank said why on stderr
    except mp.ProcessRaisedException as e:
        print(e, file=sys.stderr)  # the rank's traceback
        sys.exit(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    args = parse_args()
    world = args.nproc or int(os.environ.get("WORLD_SIZE", "1"))
    rank = 0 if args.nproc else int(os.environ.get("RANK", "0"))
    # the data first, checked as nnc train checks it: bad data stops every process before it joins
    try:
        fields, n = read_data(args.data, args.dtype)
    except DataError as e:
        if rank == 0:
            print(e, file=sys.stderr)
        sys.exit(1)
    if args.nproc and args.nproc > 1:
        spawn_ranks(args, fields, n)
    else:
        run_rank(rank, world, args, fields, n, None)


if __name__ == "__main__":
    main()
`;
