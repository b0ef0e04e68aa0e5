# The us-east region (regions/us-east/) in us-east-1.

provider "aws" {
  alias  = "us_east"
  region = "us-east-1"

  default_tags {
    tags = local.default_tags
  }
}

module "us_east" {
  source    = "../../modules/region"
  providers = { aws = aws.us_east }

  name         = "us-east"
  vpc_cidr     = "10.20.0.0/16"
  release      = var.release
  regions_dir  = local.regions_dir
  peers        = [for r in local.regions : r if r.name != "us-east"]
  core_network = module.global.core_network
}
