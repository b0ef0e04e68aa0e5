# Production: one region module instance per folder in regions/, and the global module over all
# of them.
#
# Opening a region (see ../../README.md): its folder regions/<name>/ with region.toml, then a file
# here like eu-west.tf (a provider for its AWS region and its module block), then its summary in
# local.regions below. The plan fails until the module instances and the region folders match.

locals {
  regions_dir = "${path.module}/../../../regions"

  # The region folders: every regions/<name>/ holding a region.toml.
  region_folders = sort([for f in fileset(local.regions_dir, "*/region.toml") : dirname(f)])

  # Every region module instance.
  regions = [
    module.eu_west.summary,
    module.us_east.summary,
    module.ap_southeast.summary,
  ]

  region_instances = sort([for r in local.regions : r.name])

  # The modules tag with Platform, PlatformRegion and ManagedBy themselves.
  default_tags = {
    Environment = "production"
    Repository  = "terraform/envs/production"
  }
}

# The regions check: a region folder without its module instance (or an instance without its
# folder) fails the plan, so regions/ and production never drift apart.
resource "terraform_data" "regions_match_folders" {
  input = local.region_instances

  lifecycle {
    precondition {
      condition     = local.region_instances == local.region_folders
      error_message = "The region module instances (${join(", ", local.region_instances)}) differ from the folders in regions/ (${join(", ", local.region_folders)}): add a module block for each new folder (and its summary to local.regions), or remove the module of a removed folder."
    }
  }
}

provider "aws" {
  alias  = "global"
  region = "us-east-1"

  default_tags {
    tags = local.default_tags
  }
}

module "global" {
  source    = "../../modules/global"
  providers = { aws = aws.global }

  regions     = local.regions
  domain_name = var.domain_name
  zone_id     = var.zone_id
}
