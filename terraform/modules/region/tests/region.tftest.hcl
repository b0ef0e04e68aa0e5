# The region module, planned and applied against a mock AWS provider (no account, no network):
# what a region must always be, asserted on the values Terraform would send to AWS. Inputs:
# terraform.tfvars beside this file.
#
#   terraform init -backend=false && terraform test     (TF_CLI_CONFIG_FILE names the provider mirror)

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "every_tier_spreads_over_three_zones" {
  command = apply

  assert {
    condition     = length(output.availability_zones) == 3 && length(distinct(output.availability_zones)) == 3
    error_message = "The region must use three distinct zones, got ${jsonencode(output.availability_zones)}."
  }

  assert {
    condition     = length(distinct(aws_subnet.public[*].availability_zone)) == 3
    error_message = "The three public subnets must be in three zones."
  }

  assert {
    condition = alltrue([
      for tier in ["edge", "core", "database"] :
      length(distinct([for k, s in aws_subnet.private : s.availability_zone if s.tags["Tier"] == tier])) == 3
    ])
    error_message = "Edges, cores and database nodes must each have a subnet in every zone."
  }

  assert {
    condition     = length(output.database_nodes) >= 3 && length(distinct([for n in output.database_nodes : n.zone])) == 3
    error_message = "CockroachDB needs at least three nodes, one per zone."
  }

  assert {
    condition     = length(distinct([for v in aws_ebs_volume.database : v.availability_zone])) == 3
    error_message = "Each zone's node must have its store volume in its own zone."
  }

  assert {
    condition     = alltrue([for g in aws_autoscaling_group.this : length(g.vpc_zone_identifier) == 3 && g.min_size >= 3])
    error_message = "Edge and core groups must span the three zones with at least one instance per zone."
  }
}

run "database_locality_is_the_region_folder_name" {
  command = apply

  assert {
    condition     = alltrue([for n in output.database_nodes : startswith(n.locality, "region=eu-west,zone=")])
    error_message = "Every node must start with --locality=region=eu-west (the folder name in regions/)."
  }

  assert {
    condition = alltrue([
      for k, i in aws_instance.database :
      strcontains(base64decode(i.user_data_base64), "COCKROACH_LOCALITY=region=eu-west,zone=${aws_ebs_volume.database[k].availability_zone}")
    ])
    error_message = "The boot script of every node must carry its locality (region and zone)."
  }

  assert {
    condition = alltrue([
      for k, i in aws_instance.database :
      strcontains(base64decode(i.user_data_base64), "10.20.112.10:26257") && strcontains(base64decode(i.user_data_base64), "10.30.144.10:26257")
    ])
    error_message = "Nodes must join the other regions' nodes too: one cluster spans every region."
  }
}

run "nothing_but_the_edge_load_balancer_is_reachable_from_the_internet" {
  command = apply

  assert {
    condition     = [for k, r in aws_vpc_security_group_ingress_rule.this : k if r.cidr_ipv4 == "0.0.0.0/0" || r.cidr_ipv6 == "::/0"] == ["edge_lb-https-from-shoppers"]
    error_message = "Only the edges' load balancer may accept connections from anywhere."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.this["edge_lb-https-from-shoppers"].from_port == 443 && aws_vpc_security_group_ingress_rule.this["edge_lb-https-from-shoppers"].to_port == 443
    error_message = "The internet may reach port 443 only."
  }

  assert {
    condition = alltrue([
      for k, r in aws_vpc_security_group_ingress_rule.this :
      contains([aws_security_group.this["core"].id, aws_security_group.this["database"].id], coalesce(r.referenced_security_group_id, "none")) || contains(["10.20.112.0/20", "10.20.128.0/20", "10.20.144.0/20", "10.30.112.0/20", "10.30.128.0/20", "10.30.144.0/20"], coalesce(r.cidr_ipv4, "none"))
      if r.security_group_id == aws_security_group.this["database"].id
    ])
    error_message = "Database nodes may be reached only by this region's cores and nodes and other regions' database subnets."
  }

  assert {
    condition = alltrue([
      for k, r in aws_vpc_security_group_ingress_rule.this :
      r.referenced_security_group_id == aws_security_group.this["core_lb"].id
      if r.security_group_id == aws_security_group.this["core"].id
    ])
    error_message = "Cores may be reached only through their load balancer."
  }

  assert {
    condition = alltrue([
      for k, r in aws_vpc_security_group_ingress_rule.this :
      r.referenced_security_group_id == aws_security_group.this["edge"].id || contains(["10.20.16.0/20", "10.20.32.0/20", "10.20.48.0/20", "10.30.16.0/20", "10.30.32.0/20", "10.30.48.0/20"], coalesce(r.cidr_ipv4, "none"))
      if r.security_group_id == aws_security_group.this["core_lb"].id
    ])
    error_message = "The cores' load balancer may be reached only by edges (this region's, or other regions' edge subnets)."
  }

  assert {
    condition = alltrue([
      for k, r in aws_vpc_security_group_ingress_rule.this :
      r.referenced_security_group_id == aws_security_group.this["edge_lb"].id
      if r.security_group_id == aws_security_group.this["edge"].id
    ])
    error_message = "Edges may be reached only through their load balancer."
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.this : !contains([22, 3389], r.from_port)])
    error_message = "No SSH or RDP: operators use Session Manager."
  }

  assert {
    condition     = aws_lb.this["core"].internal && !aws_lb.this["edge"].internal
    error_message = "The cores' load balancer must be internal."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : !s.map_public_ip_on_launch]) && alltrue([for i in aws_instance.database : !i.associate_public_ip_address])
    error_message = "No private subnet or database node may hand out public addresses."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must allow nothing."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.vpc_id == aws_vpc.this.id
    error_message = "The VPC must record flow logs of all traffic."
  }
}

run "everything_stored_is_encrypted" {
  command = apply

  assert {
    condition     = alltrue([for v in aws_ebs_volume.database : v.encrypted && v.kms_key_id == aws_kms_key.this["ebs"].arn])
    error_message = "Database store volumes must be encrypted with the region's EBS key."
  }

  assert {
    condition     = alltrue([for i in aws_instance.database : i.root_block_device[0].encrypted])
    error_message = "Database root volumes must be encrypted."
  }

  assert {
    condition     = alltrue([for lt in aws_launch_template.this : lt.block_device_mappings[0].ebs[0].encrypted == "true" && lt.block_device_mappings[0].ebs[0].kms_key_id == aws_kms_key.this["ebs"].arn])
    error_message = "Edge and core volumes must be encrypted with the region's EBS key."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.backups.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "Backups must be encrypted with KMS."
  }

  assert {
    condition     = aws_s3_bucket_versioning.backups.versioning_configuration[0].status == "Enabled"
    error_message = "The backups bucket must be versioned."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.backups.block_public_acls,
      aws_s3_bucket_public_access_block.backups.block_public_policy,
      aws_s3_bucket_public_access_block.backups.ignore_public_acls,
      aws_s3_bucket_public_access_block.backups.restrict_public_buckets,
    ])
    error_message = "The backups bucket must block every form of public access."
  }

  assert {
    condition     = contains([for s in data.aws_iam_policy_document.backups_bucket.statement : one(s.condition).variable if s.effect == "Deny"], "aws:SecureTransport")
    error_message = "The backups bucket must refuse requests without TLS."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == aws_kms_key.this["logs"].arn && g.retention_in_days >= 365])
    error_message = "Log groups must be encrypted with the logs key and kept at least a year (PCI DSS 10.5.1)."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.kms_key_id == aws_kms_key.this["secrets"].arn])
    error_message = "Secrets must be encrypted with the region's secrets key."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation])
    error_message = "Every KMS key must rotate."
  }
}

run "instances_require_imdsv2" {
  command = apply

  assert {
    condition     = alltrue([for lt in aws_launch_template.this : lt.metadata_options[0].http_tokens == "required" && lt.metadata_options[0].http_put_response_hop_limit == 1])
    error_message = "Edge and core instances must require IMDSv2 tokens."
  }

  assert {
    condition     = alltrue([for i in aws_instance.database : i.metadata_options[0].http_tokens == "required"])
    error_message = "Database nodes must require IMDSv2 tokens."
  }
}

run "every_resource_is_tagged_with_its_region" {
  command = apply

  assert {
    condition = alltrue([for t in flatten([
      [aws_vpc.this.tags, aws_s3_bucket.backups.tags, aws_flow_log.this.tags, aws_iam_role.flow_logs.tags],
      [for s in aws_subnet.public : s.tags], [for s in aws_subnet.private : s.tags],
      [for x in aws_security_group.this : x.tags], [for x in aws_lb.this : x.tags],
      [for x in aws_launch_template.this : x.tags], [for x in aws_instance.database : x.tags],
      [for x in aws_ebs_volume.database : x.tags], [for x in aws_kms_key.this : x.tags],
      [for x in aws_cloudwatch_log_group.this : x.tags], [for x in aws_secretsmanager_secret.this : x.tags],
      [for x in aws_iam_role.this : x.tags],
    ]) : t["PlatformRegion"] == "eu-west"])
    error_message = "Every taggable resource must carry PlatformRegion = eu-west."
  }

  assert {
    condition     = alltrue([for g in aws_autoscaling_group.this : contains([for t in g.tag : "${t.key}=${t.value}/${t.propagate_at_launch}"], "PlatformRegion=eu-west/true")])
    error_message = "Auto-scaling groups must propagate the tags to their instances."
  }

  assert {
    condition     = aws_vpc.this.tags["CostCenter"] == "platform" && aws_vpc.this.tags["ManagedBy"] == "terraform"
    error_message = "The caller's tags and the module's own must both be set."
  }
}

run "rollouts_keep_the_region_serving" {
  command = apply

  assert {
    condition     = alltrue([for g in aws_autoscaling_group.this : g.instance_refresh[0].strategy == "Rolling" && g.instance_refresh[0].preferences[0].min_healthy_percentage == 90])
    error_message = "Edges and cores must roll out by instance refresh keeping 90 % healthy."
  }

  assert {
    condition     = alltrue([for g in aws_autoscaling_group.this : g.health_check_type == "ELB"])
    error_message = "An instance must count as healthy only when its load balancer finds it ready."
  }

  assert {
    condition     = alltrue([for tg in aws_lb_target_group.this : tg.health_check[0].path == "/readyz"])
    error_message = "Load balancers must check /readyz."
  }

  assert {
    condition     = aws_lb_target_group.this["edge"].health_check[0].protocol == "HTTPS" && aws_lb_listener.this["edge"].protocol == "TCP" && aws_lb_listener.this["edge"].port == 443
    error_message = "The edges' load balancer must pass TCP 443 through and check the edges over HTTPS (they terminate TLS)."
  }
}

run "edges_fail_over_in_the_region_file_order" {
  command = apply

  assert {
    condition     = strcontains(base64decode(aws_launch_template.this["edge"].user_data), "SHOP_FAILOVER_CORES=us-east=shop-us-east-core.elb.us-east-1.amazonaws.com:8080,ap-southeast=shop-ap-southeast-core.elb.ap-southeast-1.amazonaws.com:8080")
    error_message = "Edges must fail over to other regions' cores in the order of regions/eu-west/region.toml."
  }

  assert {
    condition     = !strcontains(base64decode(aws_launch_template.this["core"].user_data), "SECRET=") && strcontains(base64decode(aws_launch_template.this["core"].user_data), "SHOP_SESSION_KEYS_ARN=arn:")
    error_message = "Boot scripts carry secret ARNs, never secret values."
  }
}

run "other_regions_are_reached_over_the_core_network" {
  command = apply

  assert {
    condition     = length(aws_networkmanager_vpc_attachment.this) == 1 && aws_networkmanager_vpc_attachment.this[0].tags["segment"] == "platform"
    error_message = "The VPC must join the core network's platform segment."
  }

  assert {
    condition     = length(aws_route.peers) == 6 && alltrue([for r in aws_route.peers : r.core_network_arn == var.core_network.arn])
    error_message = "Each zone's route table must route both other regions over the core network."
  }
}

run "a_single_region_needs_no_core_network" {
  command = plan

  variables {
    peers        = []
    core_network = null
  }

  assert {
    condition     = length(aws_networkmanager_vpc_attachment.this) == 0 && length(aws_route.peers) == 0
    error_message = "Without a core network the region is not linked."
  }
}

run "a_region_without_its_folder_is_refused" {
  command = plan

  variables {
    name  = "sa-east"
    peers = []
  }

  expect_failures = [aws_vpc.this]
}
