# Production, planned against mock AWS providers (one per AWS region, as in the configuration):
# one region instance per folder in regions/, each over three zones, all linked and routed.
#
#   terraform init -backend=false && terraform test     (TF_CLI_CONFIG_FILE names the provider mirror)

mock_provider "aws" {
  alias  = "global"
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "eu_west"
  source = "../../tests/mocks"

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

mock_provider "aws" {
  alias  = "us_east"
  source = "../../tests/mocks"

  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

mock_provider "aws" {
  alias  = "ap_southeast"
  source = "../../tests/mocks"

  mock_data "aws_region" {
    defaults = { name = "ap-southeast-1" }
  }
}

variables {
  release     = "1.0.0"
  domain_name = "shop.example.com"
  zone_id     = "Z0123456789ABCDEFGHIJ"
}

run "one_region_instance_per_region_folder" {
  command = plan

  assert {
    condition     = sort(keys(output.regions)) == sort(output.region_folders) && length(output.region_folders) >= 3
    error_message = "Production must have exactly one region instance per folder in regions/ (${join(", ", output.region_folders)})."
  }

  assert {
    condition     = alltrue([for name, zones in output.availability_zones : length(distinct(zones)) == 3])
    error_message = "Every region must spread over three zones."
  }

  assert {
    condition     = length(distinct([for r in output.regions : r.aws_region])) == length(output.regions)
    error_message = "Each region must run in its own AWS region."
  }
}

run "every_region_is_linked_and_in_the_database" {
  command = apply

  assert {
    condition     = alltrue([for name, r in output.regions : strcontains(output.cluster_settings_sql, "\"${name}\"")])
    error_message = "Every region must be a region of the database."
  }

  assert {
    condition     = alltrue([for name, r in output.regions : length(r.database_at) >= 3])
    error_message = "Every region must run at least three database nodes."
  }
}
