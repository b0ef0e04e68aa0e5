# The eu-west region (regions/eu-west/) in eu-west-1.

provider "aws" {
  alias  = "eu_west"
  region = "eu-west-1"

  default_tags {
    tags = local.default_tags
  }
}

module "eu_west" {
  source    = "../../modules/region"
  providers = { aws = aws.eu_west }

  name         = "eu-west"
  vpc_cidr     = "10.10.0.0/16"
  release      = var.release
  regions_dir  = local.regions_dir
  peers        = [for r in local.regions : r if r.name != "eu-west"]
  core_network = module.global.core_network
}
