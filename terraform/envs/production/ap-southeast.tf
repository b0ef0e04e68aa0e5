# The ap-southeast region (regions/ap-southeast/) in ap-southeast-1.

provider "aws" {
  alias  = "ap_southeast"
  region = "ap-southeast-1"

  default_tags {
    tags = local.default_tags
  }
}

module "ap_southeast" {
  source    = "../../modules/region"
  providers = { aws = aws.ap_southeast }

  name         = "ap-southeast"
  vpc_cidr     = "10.30.0.0/16"
  release      = var.release
  regions_dir  = local.regions_dir
  peers        = [for r in local.regions : r if r.name != "ap-southeast"]
  core_network = module.global.core_network
}
