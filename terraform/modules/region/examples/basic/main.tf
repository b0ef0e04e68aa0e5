# One region on its own, at the capacity model's default sizes: eu-west in Ireland, with no
# other region to link to. `terraform init && terraform plan` from this folder shows what one
# region creates (it needs AWS credentials; the module's tests plan it without). Terraform and
# provider versions are the module's own (../../versions.tf).

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      Environment = "example"
    }
  }
}

module "region" {
  source = "../.."

  name        = "eu-west"
  vpc_cidr    = "10.10.0.0/16"
  release     = "1.0.0"
  regions_dir = "${path.root}/../../../../../regions"
}
