terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # State in S3, configured at init: terraform init -backend-config=backend.hcl
  # (bucket, key, region, dynamodb_table or use_lockfile). Tests run with -backend=false.
  backend "s3" {}
}
