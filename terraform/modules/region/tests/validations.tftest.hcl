# Every validation of the region module's variables, shown refusing a bad value. From the
# valid inputs of terraform.tfvars, each run breaks exactly one rule of each variable it
# names, so that removing any rule fails the run that names its variable (`cargo xtask
# terraform` checks that each variable is named by as many runs as it has rules). The peers
# rules read name and vpc_cidr, which Terraform checks them against only while those are valid:
# they are broken where name and vpc_cidr are left alone.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "values_of_the_wrong_form_are_refused" {
  command = plan

  variables {
    name               = "EU_West"                       # a region folder name
    name_prefix        = "Shop-Platform-Prod"            # 2-12 lowercase letters, digits or hyphens
    vpc_cidr           = "10.10.0.0/24"                  # a /16 to /18
    availability_zones = ["eu-west-1a", "eu-west-1b"]    # three zones
    release            = "latest"                        # a semantic version
    image_owners       = ["amazon"]                      # "self" or account ids
    edge               = { instance_type = "m7g large" } # an EC2 instance type
    core               = { instance_type = "xlarge" }    # an EC2 instance type
    database           = { instance_type = "m7g.large" } # at least 4 vCPU
    tags               = { "aws:owner" = "me" }          # not the reserved aws: prefix
  }

  expect_failures = [var.name, var.name_prefix, var.vpc_cidr, var.availability_zones, var.release, var.image_owners, var.edge, var.core, var.database, var.tags]
}

run "sizes_and_retention_out_of_bounds_are_refused" {
  command = plan

  variables {
    edge                   = { min_size = 2, desired_capacity = 2 }                 # one edge per zone at least
    core                   = { min_size = 3, desired_capacity = 13, max_size = 12 } # min <= desired <= max
    database               = { nodes_per_zone = 4 }                                 # 1, 2 or 3 nodes per zone
    min_healthy_percentage = 40                                                     # half in service at least
    log_retention_days     = 180                                                    # a year at least
    backup_retention_days  = 7                                                      # a month at least
    peers                  = [merge(var.peers[0], { name = "eu-west" })]            # not the region itself
  }

  expect_failures = [var.edge, var.core, var.database, var.min_healthy_percentage, var.log_retention_days, var.backup_retention_days, var.peers]
}

run "cpu_targets_and_volume_sizes_out_of_bounds_are_refused" {
  command = plan

  variables {
    edge     = { cpu_target = 95 }          # headroom: 20-80 %
    core     = { cpu_target = 10 }          # headroom: 20-80 %
    database = { volume_size_gib = 50 }     # 100-16384 GiB
    peers    = [var.peers[1], var.peers[1]] # each region once
  }

  expect_failures = [var.edge, var.core, var.database, var.peers]
}

run "volume_performance_out_of_bounds_and_a_shared_range_are_refused" {
  command = plan

  variables {
    database = { volume_iops = 20000 }                              # gp3: 3000-16000 IOPS
    peers    = [merge(var.peers[1], { vpc_cidr = "10.10.0.0/16" })] # not this region's range
  }

  expect_failures = [var.database, var.peers]
}
