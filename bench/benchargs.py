"""What the benchmark drivers share: the arguments naming the throwaway cluster's database."""

import argparse


def parser():
    """An argument parser with --host (the socket directory), --port and --dbname."""
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)  # the socket directory
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dbname", required=True)
    return p


def socket_dsn(args):
    """The connection string for the database over the cluster's Unix socket."""
    return f"host={args.host} port={args.port} dbname={args.dbname} user=postgres"
