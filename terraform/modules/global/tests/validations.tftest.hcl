# Every validation of the global module's variables, shown refusing a bad value. From the
# valid inputs of terraform.tfvars, each run breaks exactly one rule of each variable it
# names, so that removing any rule fails the run that names its variable (`cargo xtask
# terraform` checks that each variable is named by as many runs as it has rules). Terraform
# checks a variable only while the variables its rules read are valid (primary_region and
# survival_goal read regions; placement reads survival_goal): those are broken in runs where
# what they read is left alone.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "malformed_values_are_refused" {
  command = plan

  variables {
    name_prefix   = "SHOP"                      # lowercase
    regions       = []                          # at least one region
    domain_name   = "https://shop.example.com/" # a DNS name, not a URL
    zone_id       = "shop.example.com"          # a hosted zone id
    database_name = "shop-db"                   # an SQL identifier
    asn_range     = "100-200"                   # private ASNs
    tags          = { "AWS:team" = "x" }        # not the reserved aws: prefix
  }

  expect_failures = [var.name_prefix, var.regions, var.domain_name, var.zone_id, var.database_name, var.asn_range, var.tags]
}

run "regions_must_be_named_once" {
  command = plan

  variables {
    regions = [var.regions[0], merge(var.regions[1], { name = "eu-west" })]
  }

  expect_failures = [var.regions]
}

run "regions_must_use_their_own_aws_region" {
  command = plan

  variables {
    regions = [var.regions[0], merge(var.regions[1], { aws_region = "eu-west-1" })]
  }

  expect_failures = [var.regions]
}

run "regions_must_use_their_own_range" {
  command = plan

  variables {
    regions = [var.regions[0], merge(var.regions[1], { vpc_cidr = "10.10.0.0/16" })]
  }

  expect_failures = [var.regions]
}

run "database_choices_outside_their_values_are_refused" {
  command = plan

  variables {
    primary_region = "sa-east" # one of the regions
    placement      = "local"   # default or restricted
  }

  expect_failures = [var.primary_region, var.placement]
}

run "survival_goal_is_zone_or_region" {
  command = plan

  variables {
    survival_goal = "node"
  }

  expect_failures = [var.survival_goal]
}

run "region_survival_needs_three_regions" {
  command = plan

  variables {
    survival_goal = "region"
    placement     = "default"
    regions       = slice(var.regions, 0, 2)
  }

  expect_failures = [var.survival_goal]
}

run "restricted_placement_needs_zone_survival" {
  command = plan

  variables {
    survival_goal = "region"
    placement     = "restricted"
  }

  expect_failures = [var.placement]
}

run "backup_schedules_are_cron_expressions" {
  command = plan

  variables {
    backups = { incremental = "every 15 minutes" }
  }

  expect_failures = [var.backups]
}

run "incremental_backups_run_more_often_than_full_ones" {
  command = plan

  variables {
    backups = { incremental = "@daily", full = "@daily" }
  }

  expect_failures = [var.backups]
}
