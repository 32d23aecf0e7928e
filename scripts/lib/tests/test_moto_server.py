"""The emulator serves other requests while a client reads a big object slowly."""

import http.client
import socket
import subprocess
import sys
import time
import unittest
from pathlib import Path

import boto3
from botocore.config import Config

SERVER = Path(__file__).resolve().parents[1] / "moto_server.py"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowReaders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.server = subprocess.Popen([sys.executable, str(SERVER), "127.0.0.1", str(cls.port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.url = f"http://127.0.0.1:{cls.port}"
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", cls.port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(10)

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(read_timeout=10, retries={"max_attempts": 1}))

    def test_a_half_read_download_does_not_block_other_requests(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="big")
        s3.put_object(Bucket="big", Key="file.csv", Body=b"x" * (32 * 1024 * 1024))
        response = s3.get_object(Bucket="big", Key="file.csv")["Body"]
        self.assertEqual(response.read(1), b"x")  # then stop reading, like a busy worker
        db = self.client("dynamodb")
        self.assertIsInstance(db.list_tables()["TableNames"], list)
        self.assertEqual(len(response.read()) + 1, 32 * 1024 * 1024)


if __name__ == "__main__":
    unittest.main()
